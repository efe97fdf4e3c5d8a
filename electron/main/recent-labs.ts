/** The File ▸ Open Recent list: newest first, at most ten, kept beside the window state. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const MAX_RECENT = 10;
const recentSchema = z.array(z.string().min(1).max(4096)).max(100);

export const recentLabsFile = (userData: string) => join(userData, 'recent-labs.json');

export async function loadRecentLabs(file: string): Promise<string[]> {
  try {
    const parsed = recentSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data.slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

export function withRecent(list: readonly string[], path: string): string[] {
  return [path, ...list.filter((p) => p !== path)].slice(0, MAX_RECENT);
}

export async function saveRecentLabs(file: string, list: readonly string[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(list, null, 2)}\n`);
}
