/**
 * IPv4 and IPv6 addresses and prefixes, as numbers: parsing (well-formed or null), subnet
 * membership, host bits. Pure; the lab validator and the guest-configuration renderer use it,
 * so what `validate` accepts is exactly what the guest is given.
 */

export type IpFamily = 4 | 6;

export interface ParsedIp {
  family: IpFamily;
  /** The address as a 32- or 128-bit number. */
  value: bigint;
}

export interface ParsedCidr extends ParsedIp {
  prefix: number;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(text: string): bigint | null {
  const m = V4.exec(text);
  if (!m) return null;
  let value = 0n;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // "010" is octal to some tools and decimal to others: refuse leading zeros.
    if (part.length > 1 && part.startsWith('0')) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseV6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return null;
  let head = text;
  let tailV4: bigint | null = null;
  // An embedded IPv4 tail (`::ffff:10.0.0.1`) counts as two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = text.slice(0, lastColon + 1);
    // `::1.2.3.4` keeps its `::`; `64:ff9b::1:1.2.3.4` drops the colon before the tail.
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = tailV4 === null ? 8 : 6;
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const toGroups = (s: string): string[] | null => {
    if (s === '') return [];
    const groups = s.split(':');
    return groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)) ? groups : null;
  };
  const left = toGroups(halves[0]!);
  const right = halves.length === 2 ? toGroups(halves[1]!) : [];
  if (!left || !right) return null;
  let groups: string[];
  if (halves.length === 2) {
    const missing = groupsWanted - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  } else {
    if (left.length !== groupsWanted) return null;
    groups = left;
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  if (tailV4 !== null) value = (value << 32n) | tailV4;
  return value;
}

/** An address without prefix, or null when it is not well formed. */
export function parseIp(text: string): ParsedIp | null {
  const v4 = parseV4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  if (!text.includes(':')) return null;
  const v6 = parseV6(text);
  return v6 === null ? null : { family: 6, value: v6 };
}

/** `address/prefix`, or null when it is not well formed (prefix 0–32 or 0–128). */
export function parseCidr(text: string): ParsedCidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > bits(ip.family)) return null;
  return { ...ip, prefix };
}

export function bits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

function mask(family: IpFamily, prefix: number): bigint {
  const total = BigInt(bits(family));
  return prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << (total - BigInt(prefix));
}

/** True when `ip` lies in the subnet `cidr` (same family). */
export function inSubnet(ip: ParsedIp, cidr: ParsedCidr): boolean {
  if (ip.family !== cidr.family) return false;
  const m = mask(cidr.family, cidr.prefix);
  return (ip.value & m) === (cidr.value & m);
}

/** True when the address part of `cidr` has bits set beyond its prefix (`10.0.0.5/24` as a route destination). */
export function hasHostBits(cidr: ParsedCidr): boolean {
  return (cidr.value & ~mask(cidr.family, cidr.prefix) & ((1n << BigInt(bits(cidr.family))) - 1n)) !== 0n;
}

/** Canonical text of an address (lower case, IPv6 compressed), for comparing two spellings. */
export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of two or more zero groups becomes `::` (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
