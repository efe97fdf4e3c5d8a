/**
 * What the Electron shell offers the renderer besides the engine contract: native file
 * dialogs, the application menu's commands and the window title. Absent in browser mode,
 * where the UI falls back to its own dialogs. The preload exposes it as `window.wirebenchShell`.
 */
import { z } from 'zod';

export const menuCommandSchema = z.discriminatedUnion('command', [
  z.strictObject({ command: z.enum(['new', 'open', 'save', 'saveAs', 'export', 'undo', 'redo', 'fitView', 'openDemo']) }),
  z.strictObject({ command: z.literal('openRecent'), path: z.string().min(1).max(4096) }),
]);
export type MenuCommand = z.infer<typeof menuCommandSchema>;

export const documentStateSchema = z.strictObject({
  name: z.string().max(200),
  path: z.string().max(4096).nullable(),
  dirty: z.boolean(),
});
export type DocumentState = z.infer<typeof documentStateSchema>;

export interface ShellApi {
  /** The application menu was used; returns the unsubscribe function. */
  onMenuCommand(listener: (command: MenuCommand) => void): () => void;
  /** Native Open dialog; null when cancelled. */
  pickOpenPath(): Promise<string | null>;
  /** Native Save dialog; null when cancelled. */
  pickSavePath(suggestedName: string): Promise<string | null>;
  /** Title bar, the dirty dot, Open Recent and the close prompt follow the document. */
  setDocumentState(state: DocumentState): void;
}
