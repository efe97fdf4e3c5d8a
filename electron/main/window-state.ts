/**
 * Remembers where the main window was: a small JSON file in app.getPath('userData'). A file
 * that is missing, unreadable or off every screen gives the default size instead of an error.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';

export const windowStateSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(400).max(20_000),
  height: z.number().int().min(300).max(20_000),
  maximized: z.boolean().default(false),
});
export type WindowState = z.infer<typeof windowStateSchema>;

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1400, height: 900, maximized: false };

export const windowStateFile = (userData: string) => join(userData, 'window-state.json');

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export async function loadWindowState(file: string, displays: readonly Rect[]): Promise<WindowState> {
  let parsed;
  try {
    parsed = windowStateSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return DEFAULT_WINDOW_STATE;
  }
  if (!parsed.success) return DEFAULT_WINDOW_STATE;
  const state = parsed.data;
  if (state.x === undefined || state.y === undefined) return state;
  // A monitor that was unplugged would leave the window invisible: keep the size, drop the place.
  const visible = displays.some((d) => state.x! < d.x + d.width - 50 && state.x! + state.width > d.x + 50 && state.y! >= d.y - 20 && state.y! < d.y + d.height - 50);
  return visible ? state : { width: state.width, height: state.height, maximized: state.maximized };
}

export async function saveWindowState(file: string, state: WindowState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.tmp`;
  await writeFile(temp, `${JSON.stringify(state)}\n`);
  await rename(temp, file);
}
