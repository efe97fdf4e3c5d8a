/**
 * A question with a few named answers, for decisions a yes/no cannot express: a save that
 * failed (the file changed on disk, the folder is read-only, the disk is full) is resolved by
 * the person choosing overwrite, reload or save elsewhere. lab-actions asks; Dialogs.tsx shows
 * it in the page (Electron and browser mode alike).
 */
import { create } from 'zustand';

export interface Choice {
  id: string;
  label: string;
  /** The default button (Enter). */
  primary?: boolean;
}

export interface ChoiceRequest {
  title: string;
  message: string;
  choices: Choice[];
  /** The chosen id, or null when dismissed (Escape, Cancel). */
  resolve(id: string | null): void;
}

export const useChoice = create<{ request: ChoiceRequest | null }>(() => ({ request: null }));

export function askChoice(title: string, message: string, choices: Choice[]): Promise<string | null> {
  return new Promise((resolve) => {
    // A newer question replaces an unanswered one, which counts as dismissed.
    useChoice.getState().request?.resolve(null);
    useChoice.setState({
      request: {
        title,
        message,
        choices,
        resolve: (id) => {
          useChoice.setState({ request: null });
          resolve(id);
        },
      },
    });
  });
}
