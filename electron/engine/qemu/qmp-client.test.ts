import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpClient, QmpError } from './qmp-client.js';
import { SerialConsole } from './serial-console.js';
import { createTestLab, ensureTinyGuest, eventually, isAlive, waitForExit, type TestGuest, type TestLab } from './test-support/tiny-guest-lab.js';

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "fake"}, "capabilities": ["oob"]}}\r\n';

/** A QMP server that greets, answers qmp_capabilities, and hands every later command to `reply`. */
async function fakeQmp(
  path: string,
  reply: (command: { execute: string; id?: string }, socket: Socket) => void = () => {},
  options: { greet?: boolean } = {},
): Promise<Server> {
  const server = createServer((socket) => {
    if (options.greet !== false) socket.write(GREETING);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const command = JSON.parse(buffer.slice(0, newline)) as { execute: string; id?: string };
        buffer = buffer.slice(newline + 1);
        if (command.execute === 'qmp_capabilities') socket.write(`{"return": {}, "id": "${command.id}"}\r\n`);
        else reply(command, socket);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

describe('QmpClient against a fake QMP server', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp('/tmp/wbq-');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects a command QEMU never answers within its timeout, naming it', async () => {
    const server = await fakeQmp(join(dir, 'silent.qmp'));
    const qmp = await QmpClient.connect({ socketPath: join(dir, 'silent.qmp'), vm: 'silent' });
    const started = Date.now();
    await expect(qmp.execute('query-status', undefined, { timeoutMs: 300 })).rejects.toThrow(/"query-status" to VM silent got no reply within 300 ms/);
    expect(Date.now() - started).toBeLessThan(1000);
    await qmp.close();
    server.close();
  });

  it('rejects pending commands when the socket closes', async () => {
    const server = await fakeQmp(join(dir, 'drop.qmp'), (command, socket) => {
      if (command.execute === 'stop') socket.destroy();
    });
    const qmp = await QmpClient.connect({ socketPath: join(dir, 'drop.qmp'), vm: 'drop' });
    const closes: Error[] = [];
    qmp.onClose((reason) => closes.push(reason));
    const pending = qmp.execute('query-status', undefined, { timeoutMs: 5000 });
    await expect(qmp.execute('stop')).rejects.toThrow(/QMP connection to VM drop closed/);
    await expect(pending).rejects.toThrow(/QMP connection to VM drop closed before "query-status"/);
    await expect(qmp.execute('cont')).rejects.toThrow(/QMP connection to VM drop closed/);
    expect(qmp.closed).toBe(true);
    expect(closes).toHaveLength(1);
    server.close();
  });

  it('matches replies by id while events interleave, and waits for the socket to appear', async () => {
    const path = join(dir, 'late.qmp');
    const connecting = QmpClient.connect({ socketPath: path, vm: 'late', connectTimeoutMs: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const held: Array<{ execute: string; id?: string }> = [];
    const server = await fakeQmp(path, (command, socket) => {
      held.push(command);
      if (held.length < 2) return;
      // Answer in reverse order, with an event in between.
      const [first, second] = held;
      socket.write(`{"return": {"status": "paused", "running": false}, "id": "${second?.id}"}\r\n`);
      socket.write('{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "DEVICE_DELETED", "data": {"device": "nic-x", "path": "/machine/peripheral/nic-x"}}\r\n');
      socket.write(`{"error": {"class": "CommandNotFound", "desc": "The command frobnicate has not been found"}, "id": "${first?.id}"}\r\n`);
    });
    const qmp = await connecting;
    expect(qmp.greeting.QMP.version.qemu.major).toBe(7);
    const events: string[] = [];
    const unsubscribe = qmp.on('DEVICE_DELETED', (event) => events.push(event.data.device ?? '?'));
    const deleted = qmp.waitForEvent('DEVICE_DELETED', (event) => event.data.device === 'nic-x', 2000);
    const failing = qmp.execute('frobnicate');
    failing.catch(() => {});
    const status = await qmp.queryStatus();
    expect(status).toEqual({ status: 'paused', running: false });
    await expect(failing).rejects.toBeInstanceOf(QmpError);
    await expect(failing).rejects.toThrow(/frobnicate has not been found \(CommandNotFound\)/);
    expect((await deleted).data.path).toBe('/machine/peripheral/nic-x');
    expect(events).toEqual(['nic-x']);
    unsubscribe();
    await qmp.close();
    server.close();
  });

  it('fails fast with a clear message when nobody greets or nothing listens', async () => {
    const server = await fakeQmp(join(dir, 'mute.qmp'), () => {}, { greet: false });
    await expect(QmpClient.connect({ socketPath: join(dir, 'mute.qmp'), vm: 'mute', connectTimeoutMs: 300 })).rejects.toThrow(/sent no greeting.*one QMP client at a time/);
    server.close();
    await expect(QmpClient.connect({ socketPath: join(dir, 'none.qmp'), vm: 'none', connectTimeoutMs: 200 })).rejects.toThrow(/never appeared within 200 ms/);
  });
});

describe('QmpClient against a real tiny guest (TCG)', () => {
  let lab: TestLab;
  let guest: TestGuest;
  let qmp: QmpClient;
  let serial: SerialConsole;

  beforeAll(async () => {
    await ensureTinyGuest();
    lab = await createTestLab();
    await lab.addTap('q.lan');
    await lab.addTap('q.wan');
    guest = await lab.boot({
      name: 'q',
      nics: [{ netdevId: 'net-lan', deviceId: 'nic-lan', tap: 'q.lan', mac: '52:54:00:aa:00:01', linkUp: true, ifname: 'eth0', ip: '10.9.0.1/24' }],
    });
    qmp = await QmpClient.connect({ socketPath: guest.spec.qmpSocket, vm: 'q' });
    serial = await SerialConsole.connect({ socketPath: guest.spec.serialSocket, vm: 'q', logPath: guest.spec.serialLog });
    await serial.waitReady(60_000);
  });

  afterAll(async () => {
    await qmp?.close();
    await serial?.close();
    await lab?.cleanup();
  });

  const guestSays = async (command: string): Promise<string> => (await serial.run(command)).output.trim();

  it('negotiates and reports the VM running', async () => {
    expect(qmp.greeting.QMP.version.qemu.major).toBeGreaterThanOrEqual(7);
    expect(await qmp.queryStatus()).toMatchObject({ running: true, status: 'running' });
  });

  it('set_link pulls and restores the guest carrier', async () => {
    expect(await guestSays('cat /sys/class/net/eth0/carrier')).toBe('1');
    await qmp.setLink('net-lan', false);
    await eventually(async () => (await guestSays('cat /sys/class/net/eth0/carrier')) === '0', 5000, 'carrier 0');
    await qmp.setLink('net-lan', true);
    await eventually(async () => (await guestSays('cat /sys/class/net/eth0/carrier')) === '1', 5000, 'carrier 1');
  });

  it('hot-plugs a NIC the guest sees as eth1, and unplugs it', async () => {
    await qmp.netdevAdd({ type: 'tap', id: 'net-wan', ifname: 'q.wan' });
    await qmp.deviceAdd({ driver: 'virtio-net-pci', id: 'nic-wan', netdev: 'net-wan', mac: '52:54:00:aa:00:02', bus: 'pci.0', addr: '0x4' });
    await eventually(async () => (await guestSays('ls /sys/class/net')).split(/\s+/).includes('eth1'), 15_000, 'eth1 in the guest');
    expect(await guestSays('cat /sys/class/net/eth1/address')).toBe('52:54:00:aa:00:02');

    await qmp.deviceDel('nic-wan');
    expect((await guestSays('ls /sys/class/net')).split(/\s+/)).not.toContain('eth1');
    await qmp.netdevDel('net-wan');
    await expect(qmp.netdevDel('net-wan')).rejects.toBeInstanceOf(QmpError);
  });

  it('reports HMP failures as errors and returns HMP text otherwise', async () => {
    expect(await qmp.humanMonitorCommand('info status')).toMatch(/VM status: running/);
    // The tiny guest has no disk, so there is nothing to snapshot into.
    await expect(qmp.humanMonitorCommand('savevm s1')).rejects.toThrow(/HMP command "savevm s1" failed on VM q: Error: .*snapshot/i);
  });

  it('quit ends the QEMU process', async () => {
    await qmp.quit();
    expect(qmp.closed).toBe(true);
    await waitForExit(guest.pid, 5000);
    expect(isAlive(guest.pid)).toBe(false);
  });
});
