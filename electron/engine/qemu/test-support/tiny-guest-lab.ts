/**
 * Test fixture: real tiny guests under TCG in a throw-away network namespace, with plain `ip`
 * commands (the helper is not under test here). Needs root. Everything it creates is
 * removed by `cleanup()`, which tests call from `afterAll` so failures clean up too.
 */
import { execFile as execFileCb } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { qemuArgs, type QemuNicSpec, type QemuSpec } from '../../../../shared/qemu-spec.js';
import { seedFromConfig, type CloudInitSeed } from '../../../../shared/cloud-init-seed.js';
import { findTinyGuest } from '../tiny-guest.js';
import { writeSeedImage } from '../seed-image.js';
import { isProcessRunning } from '../../../common/process-state.js';

const execFile = promisify(execFileCb);
const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');

export interface TestNic extends QemuNicSpec {
  /** Guest interface name (the seed's set-name). */
  ifname: string;
  /** `10.0.0.1/24` or none. */
  ip?: string;
}

export interface TestGuest {
  name: string;
  pid: number;
  spec: QemuSpec;
}

export interface TestLab {
  ns: string;
  dir: string;
  ip(...args: string[]): Promise<string>;
  addBridge(name: string): Promise<void>;
  addTap(name: string, bridge?: string): Promise<void>;
  /**
   * Boots a tiny guest with a cloud-init seed built from `nics` and `hosts` (`ip=name+name`
   * entries), or the given `seed`.
   */
  boot(options: { name: string; nics: TestNic[]; hosts?: string[]; seed?: CloudInitSeed }): Promise<TestGuest>;
  cleanup(): Promise<void>;
}

/** Builds the guest when missing (quick no-op when it is there). */
export async function ensureTinyGuest(): Promise<void> {
  await execFile('bash', [join(repoRoot, 'assets/guest/build.sh')], { timeout: 300_000 });
}

export async function createTestLab(): Promise<TestLab> {
  const ns = `wb-${randomBytes(4).toString('hex')}`;
  // Short and under /tmp: unix socket paths must stay below 108 bytes.
  const dir = await mkdtemp('/tmp/wbt-');
  const guests: TestGuest[] = [];
  await execFile('ip', ['netns', 'add', ns]);

  const ip = async (...args: string[]): Promise<string> => (await execFile('ip', ['-n', ns, ...args])).stdout;

  return {
    ns,
    dir,
    ip,
    async addBridge(name) {
      await ip('link', 'add', name, 'type', 'bridge');
      await ip('link', 'set', name, 'up');
    },
    async addTap(name, bridge) {
      await ip('tuntap', 'add', 'dev', name, 'mode', 'tap');
      if (bridge) await ip('link', 'set', name, 'master', bridge);
      await ip('link', 'set', name, 'up');
    },
    async boot({ name, nics, hosts = [], seed: givenSeed }) {
      const guest = findTinyGuest();
      const seedImage = join(dir, `${name}.seed.iso`);
      const seed = givenSeed ?? seedFromConfig(
        {
          hostname: name,
          nics: nics.map((nic) => ({ name: nic.ifname, mac: nic.mac, addresses: nic.ip ? [nic.ip] : [], mtu: undefined, routes: [] })),
          forwarding: false,
          hosts: ['127.0.0.1 localhost', ...hosts.map((h) => `${h.split('=')[0]} ${h.split('=')[1]!.replace(/\+/g, ' ')}`), `127.0.1.1 ${name}`],
          startup: [],
        },
        ns,
      );
      await writeSeedImage(seed, seedImage);
      const spec: QemuSpec = {
        name,
        accel: ['tcg'],
        cpu: 'max',
        cpus: 1,
        memoryMiB: 128,
        boot: { kind: 'tiny', bootDisk: guest.bootDisk },
        qmpSocket: join(dir, `${name}.qmp`),
        serialSocket: join(dir, `${name}.serial`),
        serialLog: join(dir, `${name}.log`),
        agentSocket: join(dir, `${name}.agent`),
        pidFile: join(dir, `${name}.pid`),
        seedImage,
        nics: nics.map(({ netdevId, deviceId, tap, mac, linkUp }) => ({ netdevId, deviceId, tap, mac, linkUp })),
      };
      // -daemonize: returns once QEMU has opened its sockets and written the pid file.
      await execFile('ip', ['netns', 'exec', ns, 'qemu-system-x86_64', ...qemuArgs(spec)], { timeout: 30_000 });
      const pid = Number((await readFile(spec.pidFile, 'utf8')).trim());
      const booted = { name, pid, spec };
      guests.push(booted);
      return booted;
    },
    async cleanup() {
      for (const guest of guests) {
        try {
          process.kill(guest.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const guest of guests) await waitForExit(guest.pid, 5_000).catch(() => {});
      await execFile('ip', ['netns', 'del', ns]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** True while `pid` runs; a zombie (exited, not yet reaped by init) counts as gone. */
export const isAlive = isProcessRunning;

export async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls `check` until it returns true or the deadline passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
