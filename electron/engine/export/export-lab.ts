/**
 * `export.script`: the lab as files that rebuild it without the app. Thin: the formats
 * live in their own modules; this picks one and names the files.
 */
import { serializeLab, type LabDocument } from '../../../shared/lab.js';
import { exportBash } from './bash-export.js';
import { exportLibvirt } from './libvirt-export.js';

export function exportLab(lab: LabDocument, format: 'bash' | 'libvirt' | 'json'): Record<string, string> {
  switch (format) {
    case 'bash':
      return { [`${lab.name}.sh`]: exportBash(lab) };
    case 'libvirt':
      return exportLibvirt(lab).files;
    case 'json':
      return { [`${lab.name}.lab.json`]: serializeLab(lab) };
  }
}
