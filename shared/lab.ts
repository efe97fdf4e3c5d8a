/**
 * The lab document (`*.lab.json`, format `wirebench/1`): the *defined* lab. The engine's
 * running lab is the *created* one; `lab.up` reconciles the second to the first.
 *
 * Parsing happens in two layers: the zod schema checks shapes and value ranges, then
 * `crossCheck` checks what a schema cannot see (unique names, references, duplicate MACs).
 * Both report problems with the JSON path they concern, e.g. `nics[2].bridge: no bridge named "wan"`.
 */
import { z } from 'zod';
import { nameProblem } from './name-rules.js';
import { formatIp, hasHostBits, inSubnet, parseCidr, parseIp, type ParsedCidr } from './ip.js';
import { MAX_NICS_PER_VM } from './qemu-spec.js';

export const LAB_FORMAT = 'wirebench/1';

const position = z.strictObject({ x: z.number().finite(), y: z.number().finite() });

const vmName = z.string().superRefine((name, ctx) => {
  const problem = nameProblem('vm', name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const bridgeName = z.string().superRefine((name, ctx) => {
  const problem = nameProblem('bridge', name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const mac = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'not a MAC address; write six hex pairs like "52:54:00:12:34:56"')
  .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, 'is a multicast MAC; the first byte must be even (e.g. 52:54:00:…)');

const ipv4Cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, 'not an IPv4 address with prefix; write e.g. "10.0.0.1/24"')
  .refine((s) => {
    const [addr, prefix] = s.split('/') as [string, string];
    return addr.split('.').every((o) => Number(o) <= 255) && Number(prefix) >= 1 && Number(prefix) <= 32;
  }, 'octets must be 0–255 and the prefix 1–32');

function networkOf(c: ParsedCidr): bigint {
  const total = c.family === 4 ? 32n : 128n;
  const hostMask = (1n << (total - BigInt(c.prefix))) - 1n;
  return c.value & ~hostMask;
}

const ipv6Cidr = z.string().refine((s) => {
  const c = parseCidr(s);
  return c !== null && c.family === 6 && c.prefix >= 1;
}, 'not an IPv6 address with prefix; write e.g. "fd00:1::10/64"');

const ipAddress = z.string().refine((s) => parseIp(s) !== null, 'not an IPv4 or IPv6 address; write e.g. "10.0.0.254" or "fd00:1::1"');

/** Guest MTU: Linux's IPv4 minimum up to a common jumbo frame. */
export const MIN_MTU = 68;
export const MAX_MTU = 9000;

/** How many startup commands a VM may have, and how long each may be. */
export const MAX_STARTUP_COMMANDS = 32;
export const MAX_STARTUP_COMMAND_LENGTH = 1000;
export const MAX_ROUTES = 64;
export const MAX_HOSTS = 256;

/** One line of printable text: a startup command, run by `sh -c` in the guest. */
const startupCommand = z
  .string()
  .min(1, 'empty command; remove it or write one')
  .max(MAX_STARTUP_COMMAND_LENGTH, `longer than ${MAX_STARTUP_COMMAND_LENGTH} characters; put long scripts in a file on a disk image`)
  .refine((c) => !/[\0-\x1f\x7f]/.test(c), 'must be one line without control characters (tabs, line breaks); give each command its own entry')
  .refine((c) => c.trim().length > 0, 'blank command; remove it or write one');

/** A route: destination (`default` or a CIDR) via a gateway of the same family. */
export const routeSchema = z
  .strictObject({
    to: z.string().refine((s) => s === 'default' || parseCidr(s) !== null, 'write "default" or a network with prefix, e.g. "10.2.0.0/24" or "fd00:2::/64"'),
    via: ipAddress,
  })
  .superRefine((r, ctx) => {
    const to = r.to === 'default' ? null : parseCidr(r.to);
    const via = parseIp(r.via);
    if (to && hasHostBits(to)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `"${r.to}" has host bits set; the network is ${formatIp({ family: to.family, value: networkOf(to) })}/${to.prefix}` });
    }
    if (to && via && to.family !== via.family) ctx.addIssue({ code: 'custom', path: ['via'], message: `gateway ${r.via} is IPv${via.family} but the destination ${r.to} is IPv${to.family}` });
  });
export type Route = z.infer<typeof routeSchema>;

const hostName = z
  .string()
  .regex(/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, 'not a host name; use letters, digits, inner hyphens and dots (e.g. "www.example")');

export const hostsEntrySchema = z.strictObject({ ip: ipAddress, names: z.array(hostName).min(1, 'give at least one name').max(8) });
export type HostsEntry = z.infer<typeof hostsEntrySchema>;

export const impairmentsSchema = z
  .strictObject({
    delayMs: z.number().min(0).max(60_000).optional(),
    jitterMs: z.number().min(0).max(60_000).optional(),
    lossPercent: z.number().min(0).max(100).optional(),
    rateKbit: z.number().int().min(8).max(100_000_000).optional(),
  })
  .refine((i) => i.jitterMs === undefined || i.jitterMs === 0 || (i.delayMs ?? 0) > 0, {
    message: 'jitter needs a delay; set delayMs as well',
    path: ['jitterMs'],
  });
export type Impairments = z.infer<typeof impairmentsSchema>;

export const imageSchema = z.discriminatedUnion('kind', [
  /** The built-in tiny guest (Debian cloud kernel + busybox initramfs). */
  z.strictObject({ kind: z.literal('tiny') }),
  /** A real disk image; snapshots are only possible with qcow2. */
  z.strictObject({ kind: z.literal('qcow2'), path: z.string().min(1) }),
]);

export const bridgeSchema = z.strictObject({
  name: bridgeName,
  position: position.default({ x: 0, y: 0 }),
});
export type Bridge = z.infer<typeof bridgeSchema>;

export const vmSchema = z.strictObject({
  name: vmName,
  image: imageSchema.default({ kind: 'tiny' }),
  cpus: z.number().int().min(1).max(64).default(1),
  memoryMiB: z.number().int().min(64).max(65_536).default(128),
  position: position.default({ x: 0, y: 0 }),
  /** Routes added after the addresses; each gateway must be on one of the VM's own subnets. */
  routes: z.array(routeSchema).max(MAX_ROUTES).optional(),
  /** The VM routes between its NICs (IPv4 and IPv6 forwarding on). */
  forwarding: z.boolean().optional(),
  /** Extra `/etc/hosts` lines, after the lab's own names. */
  hosts: z.array(hostsEntrySchema).max(MAX_HOSTS).optional(),
  /** Shell commands run in order once the network is configured; output to the serial console. */
  startup: z.array(startupCommand).max(MAX_STARTUP_COMMANDS, `at most ${MAX_STARTUP_COMMANDS} commands; put the rest in a script`).optional(),
});
export type Vm = z.infer<typeof vmSchema>;

export const nicSchema = z.strictObject({
  vm: z.string(),
  bridge: z.string(),
  mac: mac.optional(),
  ip: ipv4Cidr.optional(),
  /** IPv6 addresses with prefix, besides the IPv4 one. */
  ipv6: z.array(ipv6Cidr).max(8).optional(),
  /** The guest's MTU on this NIC; the host TAP gets the same (and the bridge follows). */
  mtu: z.number().int().min(MIN_MTU, `must be ${MIN_MTU}–${MAX_MTU}`).max(MAX_MTU, `must be ${MIN_MTU}–${MAX_MTU}`).optional(),
  link: z.enum(['up', 'down']).default('up'),
  impairments: impairmentsSchema.optional(),
});
export type Nic = z.infer<typeof nicSchema>;

export const labSchema = z.strictObject({
  format: z.string().superRefine((f, ctx) => {
    if (f !== LAB_FORMAT) {
      ctx.addIssue({ code: 'custom', message: `unsupported format "${f}"; this Wirebench reads "${LAB_FORMAT}" (a newer Wirebench may have written this file)` });
    }
  }),
  /** Hex id; the namespace is `wb-` + its first 8 digits. Absent: derived from the name. */
  id: z.string().regex(/^[0-9a-f]{8,32}$/, 'must be 8–32 lower-case hex digits').optional(),
  name: z.string().min(1).max(100),
  bridges: z.array(bridgeSchema).default([]),
  vms: z.array(vmSchema).default([]),
  nics: z.array(nicSchema).default([]),
});
export type LabDocument = z.infer<typeof labSchema>;
/** The document as written in a file: defaults may be left out. */
export type LabDocumentInput = z.input<typeof labSchema>;

export interface LabProblem {
  /** JSON path, e.g. `nics[2].bridge`; empty for the document itself. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function formatProblem(p: LabProblem): string {
  const where = p.path ? `${p.path}: ` : '';
  return `${p.severity === 'warning' ? 'warning: ' : ''}${where}${p.message}`;
}

/** The parts of a document the cross-checks read; entries that are unreadable are null (indexes kept). */
interface CrossCheckView {
  bridges: Array<{ name: string } | null>;
  vms: Array<{ name: string } | null>;
  nics: Array<{ vm: string; bridge: string; mac?: string | undefined } | null>;
}

/** Reads what it can of a document that failed the schema, so its reference errors are reported too. */
function looseView(value: unknown): CrossCheckView | null {
  if (typeof value !== 'object' || value === null) return null;
  const doc = value as Record<string, unknown>;
  const list = (key: string) => (Array.isArray(doc[key]) ? (doc[key] as unknown[]) : []);
  const str = (o: unknown, k: string) => (typeof o === 'object' && o !== null && typeof (o as Record<string, unknown>)[k] === 'string' ? ((o as Record<string, unknown>)[k] as string) : null);
  return {
    bridges: list('bridges').map((b) => (str(b, 'name') !== null ? { name: str(b, 'name')! } : null)),
    vms: list('vms').map((v) => (str(v, 'name') !== null ? { name: str(v, 'name')! } : null)),
    nics: list('nics').map((n) => {
      const vm = str(n, 'vm');
      const bridge = str(n, 'bridge');
      // A malformed MAC is already reported by the schema; do not compare it.
      const mac = str(n, 'mac');
      return vm !== null && bridge !== null ? { vm, bridge, mac: mac && /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac) ? mac : undefined } : null;
    }),
  };
}

/** Problems a schema cannot see: uniqueness, references between arrays, MAC clashes. */
function crossCheck(lab: CrossCheckView): LabProblem[] {
  const problems: LabProblem[] = [];
  const error = (path: string, message: string) => problems.push({ path, message, severity: 'error' });

  const firstIndex = new Map<string, number>();
  lab.bridges.forEach((b, i) => {
    if (!b) return;
    const seen = firstIndex.get(`bridge:${b.name}`);
    if (seen !== undefined) error(`bridges[${i}].name`, `duplicate bridge name "${b.name}" (also bridges[${seen}]); names are unique per kind`);
    else firstIndex.set(`bridge:${b.name}`, i);
  });
  lab.vms.forEach((v, i) => {
    if (!v) return;
    const seen = firstIndex.get(`vm:${v.name}`);
    if (seen !== undefined) error(`vms[${i}].name`, `duplicate VM name "${v.name}" (also vms[${seen}]); names are unique per kind`);
    else firstIndex.set(`vm:${v.name}`, i);
  });

  const bridges = new Set(lab.bridges.flatMap((b) => (b ? [b.name] : [])));
  const vms = new Set(lab.vms.flatMap((v) => (v ? [v.name] : [])));
  const pairs = new Map<string, number>();
  const macsByBridge = new Map<string, Map<string, number>>();
  lab.nics.forEach((nic, i) => {
    if (!nic) return;
    if (!vms.has(nic.vm)) error(`nics[${i}].vm`, `no VM named "${nic.vm}"; add it to vms or fix the name`);
    if (!bridges.has(nic.bridge)) error(`nics[${i}].bridge`, `no bridge named "${nic.bridge}"; add it to bridges or fix the name`);
    const pair = `${nic.vm}\0${nic.bridge}`;
    const seen = pairs.get(pair);
    if (seen !== undefined) error(`nics[${i}]`, `VM "${nic.vm}" is already on bridge "${nic.bridge}" (nics[${seen}]); a VM has one NIC per bridge`);
    else pairs.set(pair, i);
    if (nic.mac) {
      const macs = macsByBridge.get(nic.bridge) ?? new Map<string, number>();
      macsByBridge.set(nic.bridge, macs);
      const key = nic.mac.toLowerCase();
      const other = macs.get(key);
      if (other !== undefined) {
        problems.push({ path: `nics[${i}].mac`, message: `MAC ${nic.mac} is also used by nics[${other}] on bridge "${nic.bridge}"; frames will be misdelivered`, severity: 'warning' });
      } else macs.set(key, i);
    }
  });
  return problems;
}

/**
 * What the guests' configuration needs beyond shapes: everything that would otherwise fail
 * only at boot (a gateway no NIC reaches, the same address twice, more NICs than boot).
 */
function configCheck(lab: LabDocument): LabProblem[] {
  const problems: LabProblem[] = [];
  const error = (path: string, message: string) => problems.push({ path, message, severity: 'error' });

  const nicsOf = new Map<string, Array<{ nic: Nic; index: number }>>();
  lab.nics.forEach((nic, index) => {
    const list = nicsOf.get(nic.vm) ?? [];
    list.push({ nic, index });
    nicsOf.set(nic.vm, list);
  });

  for (const [vm, list] of nicsOf) {
    if (list.length > MAX_NICS_PER_VM) {
      const over = list[MAX_NICS_PER_VM]!;
      error(`nics[${over.index}]`, `VM "${vm}" has ${list.length} NICs; a VM boots with at most ${MAX_NICS_PER_VM} (PCI slots of QEMU's pc machine and one PCI bridge); remove ${list.length - MAX_NICS_PER_VM}`);
    }
    // The same address twice in one guest fails at boot ("File exists").
    const seen = new Map<string, string>();
    for (const { nic, index } of list) {
      const addresses: Array<[string, string]> = [];
      if (nic.ip) addresses.push([`nics[${index}].ip`, nic.ip]);
      (nic.ipv6 ?? []).forEach((a, j) => addresses.push([`nics[${index}].ipv6[${j}]`, a]));
      for (const [path, text] of addresses) {
        const c = parseCidr(text)!;
        const key = formatIp(c);
        const other = seen.get(key);
        if (other) error(path, `address ${key} is also given to VM "${vm}" at ${other}; a guest cannot hold one address twice`);
        else seen.set(key, path);
      }
    }
  }

  lab.vms.forEach((vm, i) => {
    const own = (nicsOf.get(vm.name) ?? []).flatMap(({ nic }) => [...(nic.ip ? [nic.ip] : []), ...(nic.ipv6 ?? [])]).map((t) => parseCidr(t)!);
    const destinations = new Map<string, number>();
    (vm.routes ?? []).forEach((route, j) => {
      const path = `vms[${i}].routes[${j}]`;
      const via = parseIp(route.via)!;
      if (own.some((c) => c.family === via.family && c.value === via.value)) {
        error(`${path}.via`, `gateway ${route.via} is VM "${vm.name}"'s own address; route via a neighbour`);
      } else if (!own.some((c) => inSubnet(via, c))) {
        const subnets = own.filter((c) => c.family === via.family).map((c) => `${formatIp({ family: c.family, value: networkOf(c) })}/${c.prefix}`);
        error(
          `${path}.via`,
          `gateway ${route.via} is not on any subnet of VM "${vm.name}" (${subnets.length ? `its IPv${via.family} subnets: ${subnets.join(', ')}` : `it has no IPv${via.family} address`}); give a NIC an address on the gateway's subnet or pick a gateway there`,
        );
      }
      const to = route.to === 'default' ? `default/${via.family}` : (() => {
        const c = parseCidr(route.to)!;
        return `${formatIp(c)}/${c.prefix}`;
      })();
      const other = destinations.get(to);
      if (other !== undefined) error(`${path}.to`, `VM "${vm.name}" already has a route to ${route.to === 'default' ? `the IPv${via.family} default` : route.to} (routes[${other}]); one route per destination`);
      else destinations.set(to, j);
    });
  });

  // A bridge is one link: its NICs should agree on the MTU (the host bridge takes the smallest).
  const mtuByBridge = new Map<string, Array<{ mtu: number; index: number }>>();
  lab.nics.forEach((nic, index) => {
    const list = mtuByBridge.get(nic.bridge) ?? [];
    list.push({ mtu: nic.mtu ?? DEFAULT_MTU, index });
    mtuByBridge.set(nic.bridge, list);
  });
  for (const [bridge, list] of mtuByBridge) {
    const values = new Set(list.map((e) => e.mtu));
    if (values.size <= 1) continue;
    const smallest = Math.min(...values);
    for (const { mtu, index } of list) {
      if (mtu !== smallest) {
        problems.push({ path: `nics[${index}].mtu`, message: `MTU ${mtu} differs from other NICs on bridge "${bridge}" (smallest ${smallest}); frames larger than ${smallest} will be dropped on this link`, severity: 'warning' });
      }
    }
  }
  return problems;
}

/** Linux's default MTU for an Ethernet NIC (what a NIC without `mtu` gets). */
export const DEFAULT_MTU = 1500;

/** Orders problems as they appear in the file (by path), keeping each path's own order. */
function byPath(problems: LabProblem[]): LabProblem[] {
  const rank = (path: string) => path.replace(/\[(\d+)\]/g, (_, n: string) => `[${n.padStart(6, '0')}]`);
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (rank(a.p.path) < rank(b.p.path) ? -1 : rank(a.p.path) > rank(b.p.path) ? 1 : a.i - b.i))
    .map(({ p }) => p);
}

export type LabParseResult =
  | { ok: true; lab: LabDocument; problems: LabProblem[] }
  | { ok: false; problems: LabProblem[] };

/** Validates an already-parsed JSON value. Warnings do not make it fail; errors do. */
export function validateLab(value: unknown): LabParseResult {
  const parsed = labSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue): LabProblem => ({
      path: formatPath(issue.path),
      message: issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove them` : issue.message,
      severity: 'error',
    }));
    // Report reference problems too, so one round of fixes is enough.
    const view = looseView(value);
    const seen = new Set(problems.map((p) => `${p.path}\0${p.message}`));
    const more = view ? crossCheck(view).filter((p) => !seen.has(`${p.path}\0${p.message}`)) : [];
    return { ok: false, problems: byPath([...problems, ...more]) };
  }
  const problems = byPath([...crossCheck(parsed.data), ...configCheck(parsed.data)]);
  if (problems.some((p) => p.severity === 'error')) return { ok: false, problems };
  return { ok: true, lab: parsed.data, problems };
}

/** Parses the text of a `.lab.json` file; JSON syntax errors are reported like any other problem. */
export function parseLab(text: string): LabParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: `not valid JSON: ${(err as Error).message}`, severity: 'error' }] };
  }
  return validateLab(value);
}

/** Thrown by the engine and CLI when a document is refused; carries every problem. */
export class LabValidationError extends Error {
  constructor(readonly problems: LabProblem[], source = 'lab document') {
    super(`${source} is invalid:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'LabValidationError';
  }
}

/** Parses and throws `LabValidationError` on any error. */
export function parseLabOrThrow(text: string, source?: string): LabDocument {
  const result = parseLab(text);
  if (!result.ok) throw new LabValidationError(result.problems, source);
  return result.lab;
}

/** Canonical file text: stable key order and a trailing newline, so diffs stay small. */
export function serializeLab(lab: LabDocument): string {
  return `${JSON.stringify(lab, null, 2)}\n`;
}
