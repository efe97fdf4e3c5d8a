/**
 * Thousands of malformed and hostile request lines written straight to the real helper's
 * stdin (no client in between). Every line must get exactly one error response, the helper must
 * survive and still answer, and the host's interfaces and namespaces must be exactly as before.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES } from '../../shared/helper-protocol.js';
import { tally } from '../../test-support/suite-tally.js';
import { readdirSync, readFileSync } from 'node:fs';
import { HELPER_BUNDLE, OWNED_DIR, forceRemoveNamespace, namespaceNames, randomNamespace, sh } from './test-support/system.js';

const TOTAL = 6_000;
const SEED = Number(process.env.WIREBENCH_FUZZ_SEED ?? 0x5eed);
/** A real namespace the helper did not create: requests on it must be refused and change nothing. */
const DECOY_NS = randomNamespace();
const NEVER_CREATED = 'wb-00000000';
/** Well-formed lab namespace names the helper does not own: schema-valid requests on them must be refused. */
const UNOWNED = [NEVER_CREATED, DECOY_NS, 'wb-ffffffff', 'wb-12345678'];

/** Small deterministic PRNG (mulberry32): a failure can be replayed with WIREBENCH_FUZZ_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Generated {
  line: Buffer;
  kind: string;
}

function makeGenerator(random: () => number, hostLinks: string[], hostNamespaces: string[]) {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const int = (max: number): number => Math.floor(random() * max);
  let nextId = 1;
  const id = (): number => nextId++;

  const OPS = ['info', 'ns.create', 'ns.delete', 'ns.adopt', 'bridge.create', 'bridge.delete', 'tap.create', 'tap.delete', 'link.attach', 'link.detach', 'link.set', 'netem.set', 'netem.clear', 'capture.start', 'capture.stop', 'qemu.start', 'gc'] as const;
  const UNKNOWN_OPS = ['', 'INFO', 'info ', ' info', 'ns.create;', 'rm', 'exec', 'shell', 'sh -c', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'ns', 'ns.*', 'qemu.exec', 'ip', 'tc', 'tcpdump', 'ns.create\u0000', 'ɪnfo', 'gc\n', '../gc'];
  const HOSTILE_NAMES = [
    '', ' ', 'br0;reboot', '$(reboot)', '`id`', '$(ip link del eth0)', 'a/b', '../../etc/passwd', '..', '.', 'a b', 'x'.repeat(16), 'y'.repeat(300),
    'wb-0000000', 'wb-000000000', 'WB-00000000', 'wb-0000000g', 'wb-ABCDEF12', 'ｗｂ-00000000', 'wb-0000\u00000', 'тап0', '😀😀', '-rf', '--help', '-n',
    'a\nb', 'a\u2028b', '%s%n%x', 'wb-00000000/../..', '/run/netns/x', 'eth0 ', '\u202ewb-00000000', 'wb-00000000\n', 'br0\u0000x', '*', '?', '~root',
    ...hostNamespaces.filter((n) => !/^wb-[0-9a-f]{8}$/.test(n)),
  ];
  const WRONG_TYPES: Json[] = [null, true, false, 0, -1, 1.5, 1e308, [], ['wb-00000000'], {}, { ns: 'wb-00000000' }, '', 'NaN'];

  /** A request that passes the schema but targets a namespace the helper must refuse. */
  function unownedRequest(): Record<string, Json> {
    const ns = pick(UNOWNED);
    const dev = pick([...hostLinks, 'eth0', 'lo', 'br-lan', 'a.lan']);
    const base = { id: id() };
    switch (int(14)) {
      case 0: return { ...base, op: 'ns.delete', ns };
      case 1: return { ...base, op: 'bridge.create', ns, bridge: dev };
      case 2: return { ...base, op: 'bridge.delete', ns, bridge: dev };
      case 3: return { ...base, op: 'tap.create', ns, tap: dev };
      case 4: return { ...base, op: 'tap.delete', ns, tap: dev };
      case 5: return { ...base, op: 'link.attach', ns, tap: dev, bridge: 'br-lan' };
      case 6: return { ...base, op: 'link.detach', ns, tap: dev };
      case 7: return { ...base, op: 'link.set', ns, dev, up: random() < 0.5 };
      case 8: return { ...base, op: 'netem.set', ns, dev, netem: { delayMs: 10, lossPercent: 100 } };
      case 9: return { ...base, op: 'netem.clear', ns, dev };
      case 10: return { ...base, op: 'capture.start', ns, dev, filter: pick(['', 'icmp', 'tcp port 22', '$(reboot)', 'x'.repeat(1024)]) };
      case 11: return { ...base, op: 'qemu.start', ns, spec: validSpec() };
      // The decoy runs nothing, so nothing shows whose it is: never adopted.
      case 12: return { ...base, op: 'ns.adopt', ns: pick([DECOY_NS, ns]) };
      default:
        // The decoy exists on the host but was not created by the helper: `exists`, never adopted.
        return { ...base, op: 'ns.create', ns: DECOY_NS };
    }
  }

  function validSpec(): Record<string, Json> {
    return {
      name: 'a',
      accel: 'tcg',
      cpus: 1,
      memoryMiB: 64,
      boot: { kind: 'tiny', bootDisk: '/var/cache/wirebench/guest/boot.img' },
      qmpSocket: '/run/wirebench/0/x/a.qmp',
      serialSocket: '/run/wirebench/0/x/a.serial',
      serialLog: '/run/wirebench/0/x/a.log',
      pidFile: '/run/wirebench/0/x/a.pid',
      nics: [{ netdevId: 'net-lan', deviceId: 'nic-lan', tap: 'a.lan', mac: '52:54:00:00:00:01', linkUp: true }],
    };
  }

  /** Schema-valid request of any op (info and gc included), to be broken by the caller. */
  function shapedRequest(): Record<string, Json> {
    const r = unownedRequest();
    return random() < 0.15 ? { id: r.id as number, op: pick(['info', 'gc']) } : r;
  }

  /** Replaces one field (or a nested one) with `value`. */
  function breakField(r: Record<string, Json>, value: Json): Record<string, Json> {
    const keys = Object.keys(r);
    const key = pick(keys.length > 1 ? keys.filter((k) => k !== 'id') : keys);
    const current = r[key];
    if (current && typeof current === 'object' && !Array.isArray(current) && random() < 0.5) {
      const inner = Object.keys(current);
      if (inner.length) return { ...r, [key]: { ...current, [pick(inner)]: value } };
    }
    return { ...r, [key]: value };
  }

  const json = (value: Json): Buffer => Buffer.from(JSON.stringify(value));

  const generators: Array<[string, number, () => Buffer]> = [
    ['non-json text', 8, () => {
      const samples = ['{', '}', '{"id":1,"op":"in', "{'id':1,'op':'info'}", '{"id":1,"op":"info",}', 'NaN', 'Infinity', 'undefined', '{id:1,op:"info"}', 'info', '\uFEFF{"id":1,"op":"info"}', '{"id":1 "op":"info"}', '"unterminated', '{"id":01,"op":"info"}', '[1,2', '--', 'rm -rf /', '$(reboot)', '{"id":1,"op":"info"}{"id":2,"op":"info"}'];
      return Buffer.from(pick(samples));
    }],
    ['random bytes', 6, () => {
      const bytes = Buffer.alloc(1 + int(300));
      for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
      // One line per request: a newline inside would make it two.
      for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) bytes[i] = 0x20;
      return bytes;
    }],
    ['json, not an object', 4, () => json(pick<Json>([null, 1, -1, 'info', true, [], [{ id: 1, op: 'info' }], 1e308, '']))],
    ['unknown op', 10, () => json({ id: id(), op: pick(UNKNOWN_OPS), ns: NEVER_CREATED })],
    ['op of the wrong type', 3, () => json({ id: id(), op: pick(WRONG_TYPES) })],
    ['hostile name', 22, () => {
      const r = unownedRequest();
      const nameKeys = Object.keys(r).filter((k) => ['ns', 'dev', 'tap', 'bridge'].includes(k));
      return json({ ...r, [pick(nameKeys.length ? nameKeys : ['ns'])]: pick(HOSTILE_NAMES) });
    }],
    ['wrong type', 12, () => json(breakField(shapedRequest(), pick(WRONG_TYPES)))],
    ['bad id', 6, () => {
      const body = JSON.stringify({ ...shapedRequest(), id: 0 }).replace('"id":0', `"id":${pick(['-1', '1.5', '1e309', '"1"', 'null', '9007199254740993', '[]', '{}', 'true', '-1e3'])}`);
      return Buffer.from(body);
    }],
    ['bad numbers', 10, () => {
      const ns = pick(UNOWNED);
      const number = pick(['-1', '-0.001', '60001', '1e309', '-1e309', '1.5', '101', '7', '100000001', '1e20', '"10"', 'null', 'true', '[]']);
      const template = pick([
        `{"id":${id()},"op":"netem.set","ns":"${ns}","dev":"a.lan","netem":{"delayMs":${number}}}`,
        `{"id":${id()},"op":"netem.set","ns":"${ns}","dev":"a.lan","netem":{"jitterMs":${number}}}`,
        `{"id":${id()},"op":"netem.set","ns":"${ns}","dev":"a.lan","netem":{"lossPercent":${number === '7' ? '100.5' : number}}}`,
        `{"id":${id()},"op":"netem.set","ns":"${ns}","dev":"a.lan","netem":{"rateKbit":${number === '1e20' ? '1.5' : number}}}`,
        `{"id":${id()},"op":"capture.start","ns":"${ns}","dev":"a.lan","snaplen":${number === '101' ? '63' : number}}`,
        `{"id":${id()},"op":"link.set","ns":"${ns}","dev":"a.lan","up":${number}}`,
      ]);
      return Buffer.from(template);
    }],
    ['extra or polluting keys', 8, () => {
      const key = pick(['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'extra', '', ' op']);
      const value = pick<Json>([{ polluted: true }, { id: 1, op: 'gc' }, { prototype: { polluted: true } }, 1, null]);
      const r = JSON.stringify(shapedRequest());
      return Buffer.from(`${r.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`);
    }],
    ['pollution only', 2, () => Buffer.from(pick(['{"__proto__":{"id":1,"op":"gc"}}', '{"constructor":{"prototype":{"op":"gc"}}}', '{"__proto__":{"op":"gc"},"id":7}']))],
    ['bad qemu spec', 6, () => {
      const spec = validSpec();
      const breakage = pick<[string, Json]>([
        ['qmpSocket', '/run/wirebench/0/x/a,server=on.qmp'],
        ['qmpSocket', 'relative/a.qmp'],
        ['pidFile', '/run/wirebench/0/../../etc/shadow'],
        ['serialLog', '/run/wirebench/0/x/a log'],
        ['accel', 'xen'],
        ['cpus', 0],
        ['memoryMiB', 1e9],
        ['name', 'A;B'],
        ['nics', Array.from({ length: 29 }, () => ({ netdevId: 'n', deviceId: 'd', tap: 't', mac: '52:54:00:00:00:01', linkUp: true }))],
        ['boot', { kind: 'tiny', bootDisk: 'relative/boot.img' }],
        ['boot', { kind: 'kernel', kernel: '/k', initrd: '/i', append: 'console=ttyS0' }],
        ['boot', { kind: 'pxe' }],
        ['extra', ['-monitor', 'stdio']],
      ]);
      return json({ id: id(), op: 'qemu.start', ns: pick(UNOWNED), spec: { ...spec, [breakage[0]]: breakage[1] } });
    }],
    ['refused by ownership', 14, () => json(unownedRequest())],
    ['unknown capture', 3, () => json({ id: id(), op: 'capture.stop', captureId: `cap-${int(999_999_999)}` })],
    ['deep nesting', 1, () => Buffer.from(`${'['.repeat(20_000)}${']'.repeat(20_000)}`)],
    ['many keys', 1, () => {
      const entries = Array.from({ length: 2_000 }, (_, i) => `"k${i}":${i}`).join(',');
      return Buffer.from(`{"id":${id()},"op":"info",${entries}}`);
    }],
    ['oversized', 1, () => {
      const size = MAX_REQUEST_BYTES + 1 + int(200_000);
      const body = random() < 0.5 ? `{"id":${id()},"op":"info","pad":"${'A'.repeat(size)}"}` : 'Z'.repeat(size);
      return Buffer.from(body);
    }],
  ];
  const totalWeight = generators.reduce((sum, [, w]) => sum + w, 0);

  return (): Generated => {
    let r = random() * totalWeight;
    for (const [kind, weight, make] of generators) {
      r -= weight;
      if (r <= 0) return { kind, line: make() };
    }
    const [kind, , make] = generators[0]!;
    return { kind, line: make() };
  };
}

/** The id the helper should echo: independent of the helper's code, from the protocol's rules. */
function expectedId(line: Buffer): number | null {
  if (line.length > MAX_REQUEST_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8').replace(/\r$/, ''));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, 'id')) return null;
  const id = (value as { id: unknown }).id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

interface Response {
  id?: number | null;
  ok?: boolean;
  error?: { code: string; message: string };
  result?: Record<string, unknown>;
  event?: string;
}

/** Namespace names the fuzz requests address (all must stay exactly as they are). */
const FUZZ_TARGETS = new Set(UNOWNED);

/**
 * Host state the helper must never change. Lab namespaces that other test files create and
 * delete while this one runs (parallel workers: `wb-*` through their own helpers, `wbt-*` test
 * peers, exported-script tests) are left out, unless the fuzz addresses them; every other name
 * (the host's own) must match exactly, as must every host interface.
 */
function hostSnapshot(): { links: string; namespaces: string[] } {
  const links = sh('ip', ['-j', 'link', 'show']);
  const names = namespaceNames().filter((n) => FUZZ_TARGETS.has(n) || !/^wbt?-/.test(n));
  return { links, namespaces: names.sort() };
}

function markerPid(ns: string): number | null {
  try {
    return (JSON.parse(readFileSync(`${OWNED_DIR}/${ns}`, 'utf8')) as { pid: number }).pid;
  } catch {
    return null;
  }
}

function namespacesMarkedBy(pid: number): string[] {
  return readdirSafe(OWNED_DIR).filter((ns) => markerPid(ns) === pid);
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

let helper: ChildProcessWithoutNullStreams;
const responses: Response[] = [];
let waiters: Array<() => void> = [];

function waitForResponses(count: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${responses.length} of ${count} responses after ${timeoutMs} ms`)), timeoutMs);
    const check = (): void => {
      if (responses.length >= count) {
        clearTimeout(timer);
        resolve();
      } else {
        waiters.push(check);
      }
    };
    check();
  });
}

beforeAll(() => {
  sh('ip', ['netns', 'add', DECOY_NS]);
  helper = spawn(process.execPath, [HELPER_BUNDLE], { stdio: ['pipe', 'pipe', 'pipe'] });
  helper.stderr.resume();
  createInterface({ input: helper.stdout }).on('line', (line) => {
    responses.push(JSON.parse(line) as Response);
    const current = waiters;
    waiters = [];
    for (const w of current) w();
  });
});

afterAll(() => {
  helper?.kill('SIGTERM');
  forceRemoveNamespace(DECOY_NS);
});

describe('privileged helper under hostile input', () => {
  it(`answers ${TOTAL} malformed/hostile lines with exactly one error each and changes nothing`, async () => {
    const before = hostSnapshot();
    const hostLinks = (JSON.parse(before.links) as Array<{ ifname: string }>).map((l) => l.ifname);
    const generate = makeGenerator(prng(SEED), hostLinks, namespaceNames());

    const sent: Generated[] = [];
    const kinds = new Map<string, number>();
    for (let i = 0; i < TOTAL; i++) {
      const g = generate();
      sent.push(g);
      kinds.set(g.kind, (kinds.get(g.kind) ?? 0) + 1);
      const ok = helper.stdin.write(Buffer.concat([g.line, Buffer.from('\n')]));
      if (!ok) await new Promise<void>((resolve) => helper.stdin.once('drain', () => resolve()));
    }
    const oversized = sent.filter((g) => g.line.length > MAX_REQUEST_BYTES).length;
    console.log(`fuzz: sent ${sent.length} requests (seed ${SEED}; ${oversized} oversized): ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);

    await waitForResponses(TOTAL, 45_000);
    // A moment for any stray extra response to show up before counting exactly.
    await new Promise((r) => setTimeout(r, 200));
    expect(responses).toHaveLength(TOTAL);

    const successes = responses.filter((r) => r.ok !== false);
    expect(successes, 'no hostile request may succeed').toEqual([]);
    const codes = new Map<string, number>();
    for (const r of responses) codes.set(r.error!.code, (codes.get(r.error!.code) ?? 0) + 1);
    console.log(`fuzz: error codes ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`);
    expect([...codes.keys()].every((c) => ['bad-json', 'too-long', 'bad-request', 'not-owned', 'exists', 'not-found'].includes(c))).toBe(true);
    expect(codes.get('too-long') ?? 0).toBe(oversized);

    // Exactly one answer per line: the multiset of answered ids equals the expected one.
    const sortKey = (id: number | null | undefined): number => (id === null || id === undefined ? -1 : id);
    const expectedIds = sent.map((g) => sortKey(expectedId(g.line))).sort((a, b) => a - b);
    const answeredIds = responses.map((r) => sortKey(r.id)).sort((a, b) => a - b);
    expect(answeredIds).toEqual(expectedIds);

    // Still alive, still answering.
    expect(helper.exitCode).toBeNull();
    helper.stdin.write('{"id":999999999,"op":"info"}\n');
    await waitForResponses(TOTAL + 1, 5_000);
    expect(responses[TOTAL]).toMatchObject({ id: 999999999, ok: true, result: { version: expect.any(String) } });

    // Nothing on the host changed, the decoy namespace is untouched and was never adopted.
    const after = hostSnapshot();
    tally('helper fuzz', { badInputs: sent.length, leaked: (after.links === before.links ? 0 : 1) + Math.abs(after.namespaces.length - before.namespaces.length) + namespacesMarkedBy(helper.pid!).length });
    expect(after.links).toBe(before.links);
    expect(after.namespaces).toEqual(before.namespaces);
    expect(sh('ip', ['-n', DECOY_NS, '-o', 'link', 'show']).trim().split('\n')).toHaveLength(1);
    expect(readdirSafe(OWNED_DIR)).not.toContain(DECOY_NS);
    // And it never claimed a namespace (the only way it could create or adopt one).
    expect(namespacesMarkedBy(helper.pid!)).toEqual([]);
  });
});
