import { afterAll, describe, expect, it } from 'vitest';
import { demoLabInput, expectGolden } from './golden.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabValidationError, validateLab, type LabDocument, type LabDocumentInput } from '../../../shared/lab.js';
import { accelArgs, qemuArgs } from '../../../shared/qemu-spec.js';
import { ACCEL_CHOICES, decideAccel } from '../../../shared/accel-rule.js';
import { vmQemuSpec } from '../qemu/vm-spec.js';
import { netemArgs } from '../../../shared/net-commands.js';
import { diskVariable, exportBash } from './bash-export.js';

const demoInput = demoLabInput() as LabDocumentInput;
const goldenDir = new URL('./__golden__/', import.meta.url).pathname;


function parsed(input: LabDocumentInput): LabDocument {
  const result = validateLab(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

const scratch = mkdtempSync(join(tmpdir(), 'wb-bash-export-'));
let counter = 0;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
function writeScript(text: string): string {
  const file = join(scratch, `lab-${++counter}.sh`);
  writeFileSync(file, text, { mode: 0o755 });
  return file;
}

function shellcheck(...files: string[]): void {
  // One process for all files: on a busy machine each start costs seconds.
  const run = spawnSync('shellcheck', ['--shell=bash', '--severity=style', ...files], { encoding: 'utf8' });
  if (run.error) throw new Error(`shellcheck could not run (${run.error.message}); install the Debian package shellcheck`);
  expect(run.stdout + run.stderr, 'shellcheck findings').toBe('');
  expect(run.status).toBe(0);
}

/**
 * Sources a generated script without running it (its last line calls main), then prints the
 * argv its `qemu_args` builds for `vm` with the given variables, NUL-separated.
 */
function scriptArgv(file: string, vm: string, vars: Record<string, string>, accelerators: readonly string[] = ['tcg']): string[] {
  const program = [
    'source <(head -n -1 "$1")',
    ...Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
    `ACCEL_ARGS=(${accelArgs(accelerators as Array<'kvm' | 'tcg'>).join(' ')})`,
    'qemu_args "$2"',
    `printf '%s\\0' "\${QEMU_ARGS[@]}"`,
  ].join('\n');
  const out = execFileSync('bash', ['-c', program, 'bash', file, vm], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

/** A lab with every feature the script handles differently: qcow2, pulled cable, all impairments, odd name. */
const variantInput: LabDocumentInput = {
  format: 'wirebench/1',
  id: '0123456789abcdef',
  name: `it's "odd"\n$(touch /tmp/pwned) \`x\``,
  bridges: [{ name: 'core' }, { name: 'edge-1' }],
  vms: [
    { name: 'router-1', image: { kind: 'qcow2', path: '/srv/images/router 1.qcow2' }, cpus: 2, memoryMiB: 256 },
    { name: 'h', image: { kind: 'tiny' } },
  ],
  nics: [
    { vm: 'router-1', bridge: 'edge-1', mac: '52:54:00:AA:BB:CC', ip: '10.1.0.1/24' },
    { vm: 'router-1', bridge: 'core', ip: '10.2.0.1/24', impairments: { delayMs: 1.5, jitterMs: 0.5, lossPercent: 2, rateKbit: 512 } },
    { vm: 'h', bridge: 'core', ip: '10.2.0.2/24', link: 'down' },
  ],
};

describe('exportBash', () => {
  it('matches the golden script for the demo lab', () => {
    expectGolden(goldenDir, 'demo.sh', exportBash(demoInput));
  });

  it('writes scripts shellcheck finds nothing in: demo, every feature, an empty lab', () => {
    shellcheck(
      writeScript(exportBash(demoInput)),
      writeScript(exportBash(variantInput)),
      writeScript(exportBash({ format: 'wirebench/1', name: 'empty' })),
    );
  }, 120_000);

  it('prints exactly the app argv (qemuArgs(vmQemuSpec(...))) once its variables are set', () => {
    const run = { labDir: '/run/wirebench/0/wb-01234567', bootDisk: '/cache/guest/boot.img', disk: '/images/r1.qcow2' };
    const variant = parsed(variantInput);
    const file = writeScript(exportBash(variantInput));
    const decisions = [{ accelerators: ['tcg'], cpu: 'max' }, { accelerators: ['kvm', 'tcg'], cpu: 'max' }, { accelerators: ['kvm'], cpu: 'host' }] as const;
    for (const accel of decisions) {
      const vars = { CPU: accel.cpu, RUN_DIR: run.labDir, BOOT_DISK: run.bootDisk, [diskVariable('router-1')]: run.disk };
      for (const vm of variant.vms) {
        const expected = qemuArgs(vmQemuSpec(variant, vm.name, { accel: { accelerators: [...accel.accelerators], cpu: accel.cpu }, labDir: run.labDir, tinyGuest: { bootDisk: run.bootDisk }, disks: { 'router-1': run.disk } }));
        expect(scriptArgv(file, vm.name, vars, accel.accelerators)).toEqual(expected);
      }
    }
    const demo = parsed(demoInput);
    const demoFile = writeScript(exportBash(demoInput));
    const vars = { CPU: 'max', RUN_DIR: run.labDir, BOOT_DISK: run.bootDisk };
    for (const vm of demo.vms) {
      expect(scriptArgv(demoFile, vm.name, vars)).toEqual(qemuArgs(vmQemuSpec(demo, vm.name, { accel: { accelerators: ['tcg'], cpu: 'max' }, labDir: run.labDir, tinyGuest: run })));
    }
  });

  it('chooses accelerators by the app\'s own rule (one table for app and script)', () => {
    const file = writeScript(exportBash(demoInput));
    for (const choice of ACCEL_CHOICES) {
      for (const access of ['missing', 'denied', 'usable'] as const) {
        const program = ['source <(head -n -1 "$1")', 'if accel_rule "$2" "$3"; then printf "%s\\n" "${ACCEL_ARGS[*]}" "$CPU" "$KVM_DENIED"; else echo refused; fi'].join('\n');
        const out = execFileSync('bash', ['-c', program, 'bash', file, choice, access], { encoding: 'utf8' }).trim().split('\n');
        let expected: string[];
        try {
          const d = decideAccel(choice, access);
          expected = [accelArgs(d.accelerators).join(' '), d.cpu, d.kvmDenied ? '1' : '0'];
        } catch {
          expected = ['refused'];
        }
        expect(out, `${choice}:${access}`).toEqual(expected);
      }
    }
  });

  it('keeps free text inert: the lab name stays data, in comments and in LAB_NAME', () => {
    const text = exportBash(variantInput);
    const header = text.split('\n').slice(0, 3);
    expect(header[1]).toMatch(/^# Wirebench lab "it's "odd"\?\$\(touch/);
    const file = writeScript(text);
    const name = execFileSync('bash', ['-c', 'source <(head -n -1 "$1"); printf %s "$LAB_NAME"', 'bash', file], { encoding: 'utf8' });
    expect(name).toBe(variantInput.name.replace('\n', '?'));
  });

  it('defaults image variables to the guest cache and the document, overridable from the environment', () => {
    const file = writeScript(exportBash(variantInput));
    const show = 'source <(head -n -1 "$1"); printf "%s|%s" "$BOOT_DISK" "$DISK_ROUTER_1"';
    const asRoot = (env: Record<string, string>) =>
      execFileSync('bash', ['-c', show, 'bash', file], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/u', ...env } });
    if (process.getuid?.() === 0) {
      expect(asRoot({})).toBe('/var/cache/wirebench/guest/boot.img|/srv/images/router 1.qcow2');
    }
    expect(asRoot({ WIREBENCH_GUEST_DIR: '/g' })).toBe('/g/boot.img|/srv/images/router 1.qcow2');
    expect(asRoot({ BOOT_DISK: '/b.img', DISK_ROUTER_1: '/d.qcow2' })).toBe('/b.img|/d.qcow2');
  });

  it('creates the network in order: namespace, bridges, TAPs (pulled cables off the bridge), netem', () => {
    // The runtime's plan (net-plan.ts), each step with the app's ip/tc argv (shared/net-commands.ts):
    // per VM, each NIC's TAP, its cable, its impairments.
    const text = exportBash(variantInput);
    const body = text.slice(text.indexOf('create_network() {'), text.indexOf('}', text.indexOf('create_network() {')));
    const ip = 'ip -n "$NS"';
    expect(body.split('\n').slice(1).map((l) => l.trim())).toEqual([
      'new_netns ip netns add "$NS"',
      `if_new "$NS" ${ip} link set dev lo up`,
      `new_link br-core ${ip} link add name br-core type bridge stp_state 0 forward_delay 0`,
      `if_new br-core ${ip} link set dev br-core up`,
      `new_link br-edge-1 ${ip} link add name br-edge-1 type bridge stp_state 0 forward_delay 0`,
      `if_new br-edge-1 ${ip} link set dev br-edge-1 up`,
      `new_link router-1.edge-1 ${ip} tuntap add dev router-1.edge-1 mode tap user "$QEMU_UID" group "$QEMU_GID"`,
      `if_new router-1.edge-1 ${ip} link set dev router-1.edge-1 up`,
      `if_new router-1.edge-1 ${ip} link set dev router-1.edge-1 master br-edge-1 up`,
      `new_link router-1.core ${ip} tuntap add dev router-1.core mode tap user "$QEMU_UID" group "$QEMU_GID"`,
      `if_new router-1.core ${ip} link set dev router-1.core up`,
      `if_new router-1.core ${ip} link set dev router-1.core master br-core up`,
      'netem_fallback router-1.core 512 tc -n "$NS" qdisc replace dev router-1.core root tbf rate 512kbit burst 1600 latency 50ms',
      'set_netem router-1.core tc -n "$NS" qdisc replace dev router-1.core root netem delay 1.5ms 0.5ms loss 2% rate 512kbit',
      `new_link h.core ${ip} tuntap add dev h.core mode tap user "$QEMU_UID" group "$QEMU_GID"`,
      `if_new h.core ${ip} link set dev h.core up`,
      // The pulled cable: up, and never on its bridge.
      `if_new h.core ${ip} link set dev h.core up`,
      '',
    ]);
  });

  it('turns impairments into netem arguments', () => {
    expect(netemArgs(undefined)).toEqual([]);
    expect(netemArgs({ delayMs: 0, lossPercent: 0 })).toEqual([]);
    expect(netemArgs({ delayMs: 20, jitterMs: 5, lossPercent: 0.5 })).toEqual(['delay', '20ms', '5ms', 'loss', '0.5%']);
    expect(netemArgs({ rateKbit: 8 })).toEqual(['rate', '8kbit']);
  });

  it('keeps validator warnings as comments', () => {
    const text = exportBash({
      format: 'wirebench/1',
      name: 'dup',
      bridges: [{ name: 'lan' }],
      vms: [{ name: 'a' }, { name: 'b' }],
      nics: [
        { vm: 'a', bridge: 'lan', mac: '52:54:00:00:00:01' },
        { vm: 'b', bridge: 'lan', mac: '52:54:00:00:00:01' },
      ],
    });
    expect(text).toContain('# warning: nics[1].mac: MAC 52:54:00:00:00:01 is also used by nics[0]');
  });

  it('refuses an invalid document with every validator message', () => {
    const bad = { format: 'wirebench/1', name: 'bad', bridges: [{ name: 'lan' }], vms: [{ name: 'a' }], nics: [{ vm: 'a', bridge: 'wan' }, { vm: 'zz', bridge: 'lan' }] };
    let error: unknown;
    try {
      exportBash(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LabValidationError);
    expect((error as LabValidationError).message).toContain('nics[0].bridge: no bridge named "wan"');
    expect((error as LabValidationError).message).toContain('nics[1].vm: no VM named "zz"');
    expect(() => exportBash({ format: 'wirebench/2', name: 'x' } as LabDocumentInput)).toThrow(/format: unsupported format "wirebench\/2"/);
    expect(() => exportBash({ format: 'wirebench/1', name: 'x', vms: [{ name: 'Bad Name' }] })).toThrow(LabValidationError);
  });
});

