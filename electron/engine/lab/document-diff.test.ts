import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLabOrThrow, type LabDocument } from '../../../shared/lab.js';
import { planDocumentChange } from './document-diff.js';

const demo = parseLabOrThrow(readFileSync('assets/labs/demo.lab.json', 'utf8'));
const running = (names: string[]) => (vm: string) => names.includes(vm);

describe('document change plan', () => {
  it('needs nothing for edits of stopped VMs', () => {
    const next: LabDocument = { ...demo, nics: demo.nics.map((n) => ({ ...n, link: 'down' as const })) };
    const change = planDocumentChange(demo, next, running([]));
    expect(change.linkChanged).toEqual([]);
    expect(change.restartNeeded).toEqual([]);
  });

  it('applies link and impairment edits live on running VMs', () => {
    const next: LabDocument = {
      ...demo,
      nics: demo.nics.map((n) => (n.vm === 'a' ? { ...n, link: 'down' as const } : n.vm === 'b' ? { ...n, impairments: { delayMs: 5 } } : n)),
    };
    const change = planDocumentChange(demo, next, running(['a', 'b']));
    expect(change.linkChanged.map((n) => n.vm)).toEqual(['a']);
    expect(change.impairmentsChanged.map((n) => n.vm)).toEqual(['b']);
  });

  it('hot-plugs added NICs and unplugs removed ones on running VMs only', () => {
    const next: LabDocument = {
      ...demo,
      nics: [...demo.nics.filter((n) => !(n.vm === 'r' && n.bridge === 'wan')), { vm: 'a', bridge: 'wan', link: 'up' }, { vm: 'b', bridge: 'wan', link: 'up' }],
    };
    const change = planDocumentChange(demo, next, running(['a', 'r']));
    expect(change.nicsAdded.map((n) => `${n.vm}/${n.bridge}`)).toEqual(['a/wan']);
    expect(change.nicsRemoved.map((n) => `${n.vm}/${n.bridge}`)).toEqual(['r/wan']);
  });

  it('lists what needs a restart, and running VMs that were removed', () => {
    const next: LabDocument = {
      ...demo,
      vms: demo.vms.filter((v) => v.name !== 'b').map((v) => (v.name === 'a' ? { ...v, memoryMiB: 256 } : v)),
      nics: demo.nics.filter((n) => n.vm !== 'b').map((n) => (n.vm === 'a' ? { ...n, ip: '10.0.0.9/24' } : n)),
    };
    const change = planDocumentChange(demo, next, running(['a', 'b']));
    expect(change.vmsRemoved).toEqual(['b']);
    expect(change.restartNeeded).toEqual([
      { vm: 'a', reason: 'a/lan: IP changed; restart VM "a" to apply' },
      { vm: 'a', reason: 'VM "a": image, CPUs or memory changed; restart it to apply' },
    ]);
  });
});
