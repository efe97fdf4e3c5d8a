import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem, parseLab, validateLab, LAB_FORMAT, type LabDocumentInput } from './lab.js';

const demoText = readFileSync('assets/labs/demo.lab.json', 'utf8');

function base(): LabDocumentInput {
  return {
    format: LAB_FORMAT,
    name: 't',
    bridges: [{ name: 'lan' }],
    vms: [{ name: 'a' }, { name: 'b' }],
    nics: [
      { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24' },
      { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24' },
    ],
  };
}

/** The formatted error lines of an invalid document. */
function errorsOf(doc: unknown): string[] {
  const result = validateLab(doc);
  expect(result.ok).toBe(false);
  return result.problems.filter((p) => p.severity === 'error').map(formatProblem);
}

describe('lab document', () => {
  it('accepts the demo lab and fills defaults', () => {
    const result = parseLab(demoText);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.lab.vms.map((v) => v.name)).toEqual(['a', 'b', 'r']);
    expect(result.problems).toEqual([]);
    const minimal = validateLab(base());
    expect(minimal.ok && minimal.lab.vms[0]).toMatchObject({ cpus: 1, memoryMiB: 128, image: { kind: 'tiny' } });
    expect(minimal.ok && minimal.lab.nics[0]?.link).toBe('up');
  });

  it('names the path of an unknown bridge and an unknown VM', () => {
    const doc = base();
    doc.nics!.push({ vm: 'a', bridge: 'wan' }, { vm: 'zed', bridge: 'lan' });
    expect(errorsOf(doc)).toEqual([
      'nics[2].bridge: no bridge named "wan"; add it to bridges or fix the name',
      'nics[3].vm: no VM named "zed"; add it to vms or fix the name',
    ]);
  });

  it('refuses duplicate names per kind and a second NIC on the same bridge', () => {
    const doc = base();
    doc.vms!.push({ name: 'a' });
    doc.bridges!.push({ name: 'lan' });
    doc.nics!.push({ vm: 'a', bridge: 'lan' });
    const errors = errorsOf(doc);
    expect(errors).toContain('vms[2].name: duplicate VM name "a" (also vms[0]); names are unique per kind');
    expect(errors).toContain('bridges[1].name: duplicate bridge name "lan" (also bridges[0]); names are unique per kind');
    expect(errors).toContain('nics[2]: VM "a" is already on bridge "lan" (nics[0]); a VM has one NIC per bridge');
  });

  it('allows a VM and a bridge to share a name (names are unique per kind)', () => {
    const doc = base();
    doc.vms!.push({ name: 'lan' });
    expect(validateLab(doc).ok).toBe(true);
  });

  it('refuses bad MACs with the path, and warns on duplicate MACs within a bridge', () => {
    const doc = base();
    doc.nics![0]!.mac = '52:54:00:zz:00:01';
    doc.nics![1]!.mac = '01:00:5e:00:00:01';
    const errors = errorsOf(doc);
    expect(errors[0]).toMatch(/^nics\[0\]\.mac: not a MAC address/);
    expect(errors[1]).toMatch(/^nics\[1\]\.mac: is a multicast MAC/);

    const dup = base();
    dup.nics![0]!.mac = '52:54:00:00:00:01';
    dup.nics![1]!.mac = '52:54:00:00:00:01';
    const result = validateLab(dup);
    expect(result.ok).toBe(true);
    expect(result.problems.map(formatProblem)).toEqual([
      'warning: nics[1].mac: MAC 52:54:00:00:00:01 is also used by nics[0] on bridge "lan"; frames will be misdelivered',
    ]);
  });

  it('refuses names that cannot become interfaces or host names', () => {
    const cases: Array<[LabDocumentInput, string]> = [
      [{ ...base(), bridges: [{ name: 'averyverylongbr' }] }, 'bridges[0].name: "averyverylongbr" is 15 characters; bridge names fit in 12 (it becomes part of a Linux interface name). Use a shorter name'],
      [{ ...base(), bridges: [{ name: 'l an' }] }, 'bridges[0].name: "l an" cannot become an interface or host name'],
      [{ ...base(), bridges: [{ name: 'lan/1' }] }, 'bridges[0].name: "lan/1" cannot become an interface or host name'],
      [{ ...base(), vms: [{ name: 'A;rm' }] }, 'vms[0].name: "A;rm" cannot become an interface or host name'],
      [{ ...base(), vms: [{ name: '-a' }] }, 'vms[0].name: "-a" cannot become an interface or host name'],
      [{ ...base(), vms: [{ name: '' }] }, 'vms[0].name: vm name is empty'],
    ];
    for (const [doc, expected] of cases) {
      expect(errorsOf(doc).some((line) => line.includes(expected)), `${expected} in ${errorsOf(doc).join(' | ')}`).toBe(true);
    }
  });

  it('refuses an unknown format version, naming the field', () => {
    expect(errorsOf({ ...base(), format: 'wirebench/2' })).toEqual([
      'format: unsupported format "wirebench/2"; this Wirebench reads "wirebench/1" (a newer Wirebench may have written this file)',
    ]);
  });

  it('reports IPs, impairments, unknown fields and types by path', () => {
    const doc = base();
    doc.nics![0]!.ip = '10.0.0.300/24';
    doc.nics![1]!.impairments = { jitterMs: 5, lossPercent: 150 };
    (doc.vms![1] as Record<string, unknown>).colour = 'red';
    doc.vms![0]!.memoryMiB = 12;
    const errors = errorsOf(doc);
    expect(errors).toContain('nics[0].ip: octets must be 0–255 and the prefix 1–32');
    expect(errors.some((e) => e.startsWith('nics[1].impairments.lossPercent:'))).toBe(true);
    expect(errors).toContain('vms[1]: unknown field(s) "colour"; remove them');
    expect(errors.some((e) => e.startsWith('vms[0].memoryMiB:'))).toBe(true);
  });

  it('checks jitter needs a delay once ranges are fine', () => {
    const doc = base();
    doc.nics![1]!.impairments = { jitterMs: 5 };
    expect(errorsOf(doc)).toEqual(['nics[1].impairments.jitterMs: jitter needs a delay; set delayMs as well']);
  });

  it('reports JSON syntax errors as a problem, not a throw', () => {
    const result = parseLab('{"format": "wirebench/1",');
    expect(result.ok).toBe(false);
    expect(result.problems[0]?.message).toMatch(/^not valid JSON: /);
  });
});

describe('lab document: every problem at once', () => {
  it('reports reference errors alongside shape errors, in file order', () => {
    const doc = base();
    doc.nics!.push({ vm: 'a', bridge: 'wan' }, { vm: 'zz', bridge: 'lan', mac: 'nope' });
    expect(errorsOf(doc)).toEqual([
      'nics[2].bridge: no bridge named "wan"; add it to bridges or fix the name',
      'nics[3].mac: not a MAC address; write six hex pairs like "52:54:00:12:34:56"',
      'nics[3].vm: no VM named "zz"; add it to vms or fix the name',
    ]);
  });
});
