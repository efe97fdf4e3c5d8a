/**
 * `wirebench export --format bash|libvirt|json FILE [--out DIR]`: the lab as files that
 * rebuild it without the app. One-file formats go to stdout (`> lab.sh`); libvirt is several
 * files (one XML per network and domain, plus define.sh), so it needs `--out DIR`.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportLab } from '../../engine/export/export-lab.js';
import { readLabFile } from '../../engine/lab/lab-file.js';

export type ExportFormat = 'bash' | 'libvirt' | 'json';

export async function exportCommand(file: string, format: ExportFormat, outDir: string | undefined, out: (text: string) => void): Promise<number> {
  const lab = await readLabFile(file);
  const files = exportLab(lab, format);
  if (!outDir) {
    const names = Object.keys(files);
    if (names.length !== 1) throw new Error(`the ${format} export is ${names.length} files (${names.join(', ')}); give a folder with --out DIR`);
    out(files[names[0]!]!);
    return 0;
  }
  mkdirSync(outDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const path = join(outDir, name);
    writeFileSync(path, text);
    if (name.endsWith('.sh')) chmodSync(path, 0o755);
    process.stderr.write(`wrote ${path}\n`);
  }
  return 0;
}
