/**
 * Text forms of a VM's and a NIC's guest configuration for the inspector (one entry per line),
 * and the document's own validation of an edit, so the inspector and `validate` agree.
 */
import { validateLab, type HostsEntry, type LabDocument, type Nic, type Route, type Vm } from '../../shared/lab.js';
import { lines } from './LinesField.js';

export const routesText = (routes: readonly Route[] | undefined): string => (routes ?? []).map((r) => `${r.to} via ${r.via}`).join('\n');
export const hostsText = (hosts: readonly HostsEntry[] | undefined): string => (hosts ?? []).map((h) => `${h.ip} ${h.names.join(' ')}`).join('\n');
export const startupText = (startup: readonly string[] | undefined): string => (startup ?? []).join('\n');

/** Routes from text (`DEST via GATEWAY` per line), or the line that is not one. */
export function parseRoutes(text: string): { routes: Route[] } | { problem: string } {
  const routes: Route[] = [];
  for (const [i, line] of lines(text).entries()) {
    const m = /^(\S+)\s+via\s+(\S+)$/.exec(line);
    if (!m) return { problem: `line ${i + 1}: write "DESTINATION via GATEWAY", e.g. "default via 10.0.0.254" or "10.2.0.0/24 via 10.1.0.1"` };
    routes.push({ to: m[1]!, via: m[2]! });
  }
  return { routes };
}

export function parseHosts(text: string): { hosts: HostsEntry[] } | { problem: string } {
  const hosts: HostsEntry[] = [];
  for (const [i, line] of lines(text).entries()) {
    const [ip, ...names] = line.split(/\s+/);
    if (!ip || names.length === 0) return { problem: `line ${i + 1}: write "ADDRESS NAME [NAME…]", e.g. "10.2.0.10 www.lab"` };
    hosts.push({ ip, names });
  }
  return { hosts };
}

/** Keeps a list field out of the document when it is empty. */
export function orUndefined<T>(list: T[]): T[] | undefined {
  return list.length ? list : undefined;
}

function firstError(document: LabDocument, prefix: string): string | null {
  const result = validateLab(document);
  const problem = result.problems.find((p) => p.severity === 'error' && (p.path === prefix || p.path.startsWith(`${prefix}.`) || p.path.startsWith(`${prefix}[`)));
  if (!problem) return null;
  // `vms[0].routes[1].via` → "line 2 (via): …"
  const rest = problem.path.slice(prefix.length);
  const line = /^\[(\d+)\]\.?(.*)$/.exec(rest);
  if (line) return `line ${Number(line[1]) + 1}${line[2] ? ` (${line[2]})` : ''}: ${problem.message}`;
  return problem.message;
}

/** The first error `validate` reports for this VM field after the patch (null: fine). */
export function vmFieldProblem(document: LabDocument, vm: string, field: keyof Vm, patch: Partial<Vm>): string | null {
  const index = document.vms.findIndex((v) => v.name === vm);
  const next = { ...document, vms: document.vms.map((v) => (v.name === vm ? { ...v, ...patch } : v)) };
  return firstError(next, `vms[${index}].${field}`);
}

/** The same for a NIC field. */
export function nicFieldProblemIn(document: LabDocument, nic: Nic, field: keyof Nic, patch: Partial<Nic>): string | null {
  const index = document.nics.findIndex((n) => n.vm === nic.vm && n.bridge === nic.bridge);
  const next = { ...document, nics: document.nics.map((n, i) => (i === index ? { ...n, ...patch } : n)) };
  return firstError(next, `nics[${index}].${field}`);
}
