import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nicMac } from '../../../shared/nic-mac.js';
import { renderSeed } from '../../../shared/cloud-init-seed.js';
import { netdevId, nicDeviceId, tapName } from '../../../shared/host-names.js';
import { labSchema, type LabDocument } from '../../../shared/lab.js';
import { QmpClient } from './qmp-client.js';
import { MAX_INPUT_LINE, parseRunOutput, SerialConsole, shellInput } from './serial-console.js';
import { createTestLab, ensureTinyGuest, waitForExit, type TestGuest, type TestLab } from './test-support/tiny-guest-lab.js';

describe('parseRunOutput', () => {
  const end = /__WB_n1_E_(\d+)__/;
  it('takes only what lies between the markers, not the echoed command', () => {
    const text =
      "a# printf '__WB_%s_B__\\n' n1; eval 'echo hi\r\n> echo there'; printf '__WB_%s_E_%d__\\n' n1 $?\r\n" +
      '__WB_n1_B__\r\nhi\r\nthere\r\n__WB_n1_E_0__\r\na# ';
    expect(parseRunOutput(text, '__WB_n1_B__', end)).toEqual({ exitCode: 0, output: 'hi\nthere' });
  });
  it('waits for the end marker, and keeps output without a final newline', () => {
    expect(parseRunOutput('__WB_n1_B__\r\npartial', '__WB_n1_B__', end)).toBeNull();
    expect(parseRunOutput('__WB_n1_B__\r\nabc__WB_n1_E_7__\r\n', '__WB_n1_B__', end)).toEqual({ exitCode: 7, output: 'abc' });
  });
});

describe('SerialConsole on two tiny guests on one bridge (TCG)', () => {
  let lab: TestLab;
  let doc: LabDocument;
  const guests = new Map<string, TestGuest>();
  const consoles = new Map<string, SerialConsole>();

  const consoleOf = (vm: string): SerialConsole => {
    const found = consoles.get(vm);
    if (!found) throw new Error(`no console for ${vm}`);
    return found;
  };
  const guestOf = (vm: string): TestGuest => {
    const found = guests.get(vm);
    if (!found) throw new Error(`no guest ${vm}`);
    return found;
  };

  beforeAll(async () => {
    await ensureTinyGuest();
    doc = labSchema.parse({
      format: 'wirebench/1',
      name: 'serial-test',
      bridges: [{ name: 'lan' }],
      vms: [{ name: 'a' }, { name: 'b' }],
      nics: [
        { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24' },
        { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24' },
      ],
    });
    lab = await createTestLab();
    await lab.addBridge('br-lan');
    await Promise.all(
      doc.vms.map(async ({ name }) => {
        await lab.addTap(tapName(name, 'lan'), 'br-lan');
        const nic = { vm: name, bridge: 'lan' };
        const guest = await lab.boot({
          name,
          nics: [{ netdevId: netdevId('lan'), deviceId: nicDeviceId('lan'), tap: tapName(name, 'lan'), mac: nicMac(doc, nic), linkUp: true, ifname: 'eth0' }],
          seed: renderSeed(doc, name),
        });
        guests.set(name, guest);
        const serial = await SerialConsole.connect({ socketPath: guest.spec.serialSocket, vm: name, logPath: guest.spec.serialLog });
        consoles.set(name, serial);
        await serial.waitReady(60_000);
      }),
    );
  });

  afterAll(async () => {
    for (const serial of consoles.values()) await serial.close();
    await lab?.cleanup();
  });

  it('returns exit codes and output', async () => {
    const a = consoleOf('a');
    expect(await a.run('true')).toEqual({ exitCode: 0, output: '' });
    expect(await a.run('false')).toEqual({ exitCode: 1, output: '' });
    expect(await a.run("sh -c 'echo out; echo err >&2; exit 3'")).toEqual({ exitCode: 3, output: 'out\nerr' });
    expect(await a.run('printf abc # a trailing comment')).toEqual({ exitCode: 0, output: 'abc' });
    expect(await a.run('ls /nonexistent')).toMatchObject({ exitCode: 1, output: expect.stringMatching(/No such file/) });
  });

  it('runs long, multi-line and quoted commands whole, and refuses lines the shell would truncate', async () => {
    const a = consoleOf('a');
    // The longest input line `run` accepts reaches the shell whole.
    const overhead = shellInput('echo  | wc -c', '000000000000').length - 1;
    const n = MAX_INPUT_LINE - overhead;
    expect(await a.run(`echo ${'x'.repeat(n)} | wc -c`)).toEqual({ exitCode: 0, output: String(n + 1) });
    await expect(a.run(`echo ${'x'.repeat(n + 1)} | wc -c`)).rejects.toThrow(/1001-byte input line .*at most 1000 bytes per line/);
    expect(await a.run('for i in 1 2; do\n  echo line$i\ndone')).toEqual({ exitCode: 0, output: 'line1\nline2' });
    expect(await a.run(`echo 'it'"'"'s' "a \\"b\\""`)).toEqual({ exitCode: 0, output: `it's a "b"` });
    await a.run('cd /tmp && export WB_SEEN=yes');
    expect(await a.run('echo $(pwd) $WB_SEEN')).toEqual({ exitCode: 0, output: '/tmp yes' });
  });

  it('reports a syntax error in the command as an exit code, not a hang', async () => {
    const result = await consoleOf('a').run('echo (');
    expect(result.exitCode).toBe(2);
    expect(result.output).toMatch(/syntax error/);
  });

  it('serializes concurrent runs', async () => {
    const a = consoleOf('a');
    const results = await Promise.all([1, 2, 3].map((n) => a.run(`sleep 0.${n}; echo run${n}`)));
    expect(results.map((r) => r.output)).toEqual(['run1', 'run2', 'run3']);
  });

  it('sets hostname, addresses and /etc/hosts from its cloud-init seed', async () => {
    const a = consoleOf('a');
    expect((await a.run('hostname')).output).toBe('a');
    expect((await a.run('cat /sys/class/net/eth0/address')).output).toBe(nicMac(doc, { vm: 'a', bridge: 'lan' }));
    expect((await a.run('ip -4 addr show dev eth0')).output).toContain('inet 10.0.0.1/24');
    const hosts = (await a.run('cat /etc/hosts')).output.split('\n');
    expect(hosts).toEqual(expect.arrayContaining(['127.0.0.1 localhost', '10.0.0.1 a.lan a', '10.0.0.2 b.lan b']));
    expect((await consoleOf('b').run('hostname')).output).toBe('b');
  });

  it('resolves a neighbour by name through /etc/hosts and reaches it', async () => {
    const result = await consoleOf('a').run('ping -c 1 -W 2 b.lan', { timeoutMs: 15_000 });
    expect(result.output).toContain('PING b.lan (10.0.0.2)');
    expect(result.exitCode).toBe(0);
  });

  it('interrupts a command that overruns its timeout and stays usable', async () => {
    const a = consoleOf('a');
    await expect(a.run('sleep 30', { timeoutMs: 500 })).rejects.toThrow(/did not finish within 500 ms \(sent Ctrl-C\): sleep 30/);
    expect(await a.run('echo still here')).toEqual({ exitCode: 0, output: 'still here' });
  });

  it('streams raw output to onData subscribers', async () => {
    const a = consoleOf('a');
    let seen = '';
    const unsubscribe = a.onData((chunk) => {
      seen += chunk.toString();
    });
    await a.run('echo streamed-$((6*7))');
    unsubscribe();
    expect(seen).toContain('streamed-42');
  });

  it('is ready at once after reconnecting (marker in the log), and by prompt without a log', async () => {
    const guest = guestOf('a');
    await consoleOf('a').close();
    const fromLog = await SerialConsole.connect({ socketPath: guest.spec.serialSocket, vm: 'a', logPath: guest.spec.serialLog });
    consoles.set('a', fromLog);
    const started = Date.now();
    await fromLog.waitReady(5000);
    expect(Date.now() - started).toBeLessThan(1000);
    await fromLog.close();

    const byPrompt = await SerialConsole.connect({ socketPath: guest.spec.serialSocket, vm: 'a' });
    consoles.set('a', byPrompt);
    const poked = Date.now();
    await byPrompt.waitReady(10_000);
    expect(Date.now() - poked).toBeLessThan(2000);
    expect((await byPrompt.run('hostname')).output).toBe('a');
  });

  it('powers off on QMP system_powerdown (ACPI power button)', async () => {
    const guest = guestOf('b');
    const closed = new Promise<void>((resolve) => consoleOf('b').onClose(resolve));
    const qmp = await QmpClient.connect({ socketPath: guest.spec.qmpSocket, vm: 'b' });
    const shutdown = qmp.waitForEvent('SHUTDOWN', () => true, 20_000);
    await qmp.systemPowerdown();
    expect((await shutdown).data).toMatchObject({ guest: true });
    await closed;
    await waitForExit(guest.pid, 10_000);
    await qmp.close();
  });
});
