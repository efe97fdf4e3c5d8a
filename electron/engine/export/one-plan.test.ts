/**
 * The bash export and the runtime derive from one plan. For a lab with every impairment field
 * set and a pulled cable:
 *   - the helper side: the runtime's plan (net-plan.ts), each call sent through the helper's
 *     real dispatcher and ops, with a recording runner in place of the processes;
 *   - the script side: the exported script's create_network, with `ip` and `tc` replaced by
 *     shell functions that record their argv;
 * give the same `ip`/`tc` argument lists, in the same order, with the same number formatting.
 * On a kernel with netem, and on one without (this machine's, docs/platform-notes.md), where
 * both fall back to the same tbf rate limit. Queries (`link show`, `netns pids`) differ by
 * design (the helper checks kinds, the script skips what exists) and are left out, as is the
 * helper's host-side IPv6 sysctl (not an ip/tc command).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { validateLab, type LabDocument, type LabDocumentInput } from '../../../shared/lab.js';
import type { HelperCall } from '../../../shared/helper-protocol.js';
import { namespaceName } from '../../../shared/host-names.js';
import type { CommandResult } from '../../helper/run-command.js';
import type { HelperContext } from '../../helper/context.js';
import { handleLine } from '../../helper/dispatcher.js';
import { KeyedQueue } from '../../helper/keyed-queue.js';
import { labNetworkPlan, vmNetworkPlan } from '../net/net-plan.js';
import { exportBash } from './bash-export.js';
import { expectGolden } from './golden.js';

const recorder = vi.hoisted(() => ({ commands: [] as string[][], netem: true }));

vi.mock('../../helper/run-command.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../helper/run-command.js')>();
  const ok = (stdout = ''): CommandResult => ({ code: 0, signal: null, stdout, stderr: '' });
  async function run(tool: string, args: readonly string[]): Promise<CommandResult> {
    recorder.commands.push([tool, ...args]);
    if (tool === 'ip' && args.includes('show')) {
      // The helper checks kinds before attaching: bridges are br-*, everything else a TAP.
      const dev = args[args.length - 1]!;
      return ok(JSON.stringify([{ ifname: dev, linkinfo: { info_kind: dev.startsWith('br-') ? 'bridge' : 'tun' } }]));
    }
    if (tool === 'tc' && args.includes('netem') && !recorder.netem) return { code: 2, signal: null, stdout: '', stderr: 'Error: Specified qdisc kind is unknown.\n' };
    return ok();
  }
  return {
    ...actual,
    run,
    runInNamespace: (ns: string, tool: string, args: readonly string[]) => run('ip', ['netns', 'exec', ns, tool, ...args]),
    runChecked: async (what: string, tool: string, args: readonly string[]) => {
      const result = await run(tool, args);
      if (result.code !== 0) throw actual.commandFailure(what, result);
      return result.stdout;
    },
  };
});

// Ownership markers live under /run/wirebench; this test creates nothing on the machine.
vi.mock('../../helper/ownership.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../helper/ownership.js')>()),
  claim: () => true,
  isOwned: () => true,
  readMarker: () => null,
  release: () => undefined,
}));

const QEMU_UID = 64123;
const QEMU_GID = 64124;

const labInput: LabDocumentInput = {
  format: 'wirebench/1',
  id: '0ddba11c0ffee000',
  name: 'one plan',
  bridges: [{ name: 'core' }, { name: 'edge' }],
  vms: [{ name: 'r' }, { name: 'h' }, { name: 'k' }],
  nics: [
    // An MTU: the TAP gets it too.
    { vm: 'r', bridge: 'edge', ip: '10.1.0.1/24', mtu: 1400 },
    // Every impairment field.
    { vm: 'r', bridge: 'core', ip: '10.2.0.1/24', impairments: { delayMs: 1.5, jitterMs: 0.25, lossPercent: 2, rateKbit: 512 } },
    // A pulled cable.
    { vm: 'h', bridge: 'core', ip: '10.2.0.2/24', link: 'down' },
    // Numbers JavaScript would print in exponent notation or with more digits than tc takes; no rate.
    { vm: 'k', bridge: 'core', ip: '10.2.0.3/24', impairments: { delayMs: 1e-7, jitterMs: 33.33333, lossPercent: 12.345678 } },
  ],
};

function parsed(input: LabDocumentInput): LabDocument {
  const result = validateLab(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

/** Commands that change the network (not queries, not the helper's sysctl). */
function changes(commands: readonly string[][]): string[][] {
  return commands.filter(([tool, ...args]) => {
    if ((tool !== 'ip' && tool !== 'tc') || args.includes('show')) return false;
    return args[0] !== 'netns' || args[1] === 'add' || args[1] === 'del';
  });
}

/** What the helper runs for the runtime's plan: the lab's part at start, each VM's TAPs at its boot. */
async function helperCommands(lab: LabDocument, netem: boolean): Promise<string[][]> {
  recorder.commands = [];
  recorder.netem = netem;
  const ctx = {
    user: { uid: 0, gid: 0, qemuUid: QEMU_UID, qemuGid: QEMU_GID, runtimeRoot: '/run/wirebench/0', allowedRunRoots: ['/run/wirebench/0'] },
    queue: new KeyedQueue(),
    captures: { stopAllIn: async () => undefined },
    emit: () => undefined,
    log: () => undefined,
  } as unknown as HelperContext;
  const plan: HelperCall[] = [...labNetworkPlan(lab), ...lab.vms.flatMap((vm) => vmNetworkPlan(lab, vm.name))];
  for (const [id, call] of plan.entries()) {
    const reply = await handleLine(ctx, JSON.stringify({ id, ...call }));
    // Without netem, impairments without a rate are refused as unsupported (the runtime then
    // reports them and boots the VM anyway); everything else succeeds.
    const unsupported = !netem && call.op === 'netem.set' && call.netem.rateKbit === undefined;
    expect(reply, `${call.op} answered`).toMatchObject(unsupported ? { ok: false, error: { code: 'unsupported' } } : { ok: true });
  }
  return changes(recorder.commands);
}

const scratch = mkdtempSync(join(tmpdir(), 'wb-one-plan-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What the exported script's create_network runs, on a machine where nothing exists yet. */
function scriptCommands(lab: LabDocument, netem: boolean): { commands: string[][]; stderr: string } {
  const script = join(scratch, 'lab.sh');
  const record = join(scratch, netem ? 'netem.rec' : 'no-netem.rec');
  writeFileSync(script, exportBash(lab), { mode: 0o755 });
  writeFileSync(record, '');
  const program = [
    'source <(head -n -1 "$1")',
    // Every query answers "does not exist"; every command is recorded, tab-separated.
    'record() { local IFS=$\'\\t\'; printf \'%s\\n\' "$*" >>"$REC"; }',
    'ip() { record ip "$@"; [[ " $* " != *" show "* && " $* " != *" pids "* ]]; }',
    `tc() { record tc "$@"; ${netem ? 'true' : '[[ " $* " != *" netem "* ]]'}; }`,
    `QEMU_UID=${QEMU_UID} QEMU_GID=${QEMU_GID}`,
    'create_network 2>"$ERR"',
  ].join('\n');
  const err = join(scratch, 'stderr');
  execFileSync('bash', ['-c', program, 'bash', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', REC: record, ERR: err }, encoding: 'utf8' });
  const commands = readFileSync(record, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t'));
  return { commands: changes(commands), stderr: readFileSync(err, 'utf8') };
}

describe('the bash export and the runtime derive from one plan', () => {
  const lab = parsed(labInput);

  it('runs the same ip/tc argument lists on a kernel with netem', async () => {
    const helper = await helperCommands(lab, true);
    const script = scriptCommands(lab, true);
    expect(script.commands).toEqual(helper);
    expect(script.stderr).toBe('');
    // Readable evidence of what both run (a change here is a change of the app and the script).
    expectGolden(new URL('./__golden__/', import.meta.url).pathname, 'one-plan.network.txt', helper.map((c) => c.join(' ')).join('\n') + '\n');
    // Every impairment field, with tc's number formatting.
    expect(helper).toContainEqual(['tc', '-n', namespaceName(lab), 'qdisc', 'replace', 'dev', 'r.core', 'root', 'netem', 'delay', '1.5ms', '0.25ms', 'loss', '2%', 'rate', '512kbit']);
    expect(helper).toContainEqual(['tc', '-n', namespaceName(lab), 'qdisc', 'replace', 'dev', 'k.core', 'root', 'netem', 'delay', '0ms', '33.333ms', 'loss', '12.3457%']);
    // The pulled cable's TAP never joins its bridge.
    expect(helper.filter((c) => c.includes('h.core') && c.includes('master'))).toEqual([]);
  });

  it('falls back to the same tbf rate limit on a kernel without netem', async () => {
    const helper = await helperCommands(lab, false);
    const script = scriptCommands(lab, false);
    expect(script.commands).toEqual(helper);
    expect(helper).toContainEqual(['tc', '-n', namespaceName(lab), 'qdisc', 'replace', 'dev', 'r.core', 'root', 'tbf', 'rate', '512kbit', 'burst', '1600', 'latency', '50ms']);
    // The script says what it left out; the runtime reports it as an event (lab-runtime.ts).
    expect(script.stderr).toContain('r.core is limited to 512 kbit/s with tbf; the delay and loss in (delay 1.5ms 0.25ms loss 2% rate 512kbit) are not applied');
    expect(script.stderr).toContain('tc could not add netem (delay 0ms 33.333ms loss 12.3457%) to k.core');
  });
});
