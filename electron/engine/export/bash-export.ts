/**
 * Bash export: a lab document becomes one self-contained script that rebuilds the lab
 * without the app (`up`, `down`, `status`, `console`, `capture`, `link`).
 *
 * Only the lab-specific parts are generated (names, the NIC table, the network steps and
 * every VM's QEMU argv); the rest is a fixed bash library, assets/export/lab-library.sh
 * (./lab-library.ts), so the output stays readable and reviewable, and shellcheck checks both.
 * The network steps are the runtime's own plan (net/net-plan.ts), each helper call turned into
 * lines that run its `ip`/`tc` argv from shared/net-commands.ts, the argv the helper runs. The QEMU argv comes from
 * `qemuArgs(vmQemuSpec(...))`, the same call the app makes: paths known only when the
 * script runs (guest images, runtime folder) go in as placeholders and come out as
 * `${VAR}` references, and the accelerators as `${ACCEL_ARGS[@]}`/`${CPU}`, chosen when the
 * script runs by `accel_rule`, a `case` printed from the app's own rule (shared/accel-rule.ts).
 */
import { LabValidationError, formatProblem, validateLab, type LabDocument, type LabDocumentInput } from '../../../shared/lab.js';
import { hostBridgeName, namespaceName, netdevId, tapName } from '../../../shared/host-names.js';
import { accelArgs, qemuArgs, tcgAccelOption } from '../../../shared/qemu-spec.js';
import { ACCEL_CHOICES, AccelRuleError, decideAccel, type KvmAccess } from '../../../shared/accel-rule.js';
import type { HelperCall } from '../../../shared/helper-protocol.js';
import { linkAttach, linkDetach, linkSet, netemCommands, stepCommands, type NetCommand, type NetworkStep } from '../../../shared/net-commands.js';
import { networkDownPlan, networkUpPlan } from '../net/net-plan.js';
import { vmQemuSpec } from '../qemu/vm-spec.js';
import { labLibrary } from './lab-library.js';
import { SEED_FILES, renderSeed, seedImageCommand } from '../../../shared/cloud-init-seed.js';
import { shComment, shQuote, shWord, type ShellPart } from './shell-quote.js';

/** Where the tiny guest lives when the script runs as root (as the app's setup puts it). */
export const ROOT_GUEST_DIR = '/var/cache/wirebench/guest';

/** Shell variable holding the disk image of a qcow2 VM (`DISK_ROUTER_1` for `router-1`). */
export function diskVariable(vm: string): string {
  return `DISK_${vm.toUpperCase().replace(/-/g, '_')}`;
}

// Placeholder paths handed to vmQemuSpec (they pass its path checks) and turned back into
// shell variables: `/@BOOT_DISK@/x` becomes `${BOOT_DISK}/x`.
const placeholder = (variable: string) => `/@${variable}@`;
const PLACEHOLDER = /\/@([A-Z][A-Z0-9_]*)@/g;

function withVariables(arg: string): ShellPart[] {
  const parts: ShellPart[] = [];
  let last = 0;
  for (const match of arg.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(arg.slice(last, match.index));
    parts.push({ var: match[1]! });
    last = match.index + match[0].length;
  }
  if (last < arg.length) parts.push(arg.slice(last));
  return parts;
}

/**
 * Shell words of QEMU's argv, one option (with its value) per line. `tcgOption` is this VM's
 * (`tcg,tb-size=16`): it takes the place of the accelerator table's bare `tcg`.
 */
function argvLines(argv: readonly string[], tcgOption: string): string[] {
  const lines: string[][] = [];
  argv.forEach((arg, i) => {
    let word: string;
    // Every `-accel X` pair becomes the script's own choice, `"${ACCEL_ARGS[@]}"`, once, with
    // this VM's TCG option (its translation cache size) in place of the table's bare `tcg`.
    if (arg === '-accel') {
      // `tcg,tb-size=16`: nothing bash would expand, so it goes into the replacement as it is.
      if (argv.indexOf('-accel') === i) lines.push([`"\${ACCEL_ARGS[@]/#tcg/${tcgOption}}"`]);
      return;
    }
    if (argv[i - 1] === '-accel') return;
    if (argv[i - 1] === '-cpu') word = shWord([{ var: 'CPU' }]);
    else word = shWord(withVariables(arg));
    if (arg.startsWith('-') || lines.length === 0) lines.push([word]);
    else lines[lines.length - 1]!.push(word);
  });
  return lines.map((l) => l.join(' '));
}

function qemuArgsFunction(lab: LabDocument): string {
  const cases = lab.vms.map((vm) => {
    const spec = vmQemuSpec(lab, vm.name, {
      accel: { accelerators: ['tcg'], cpu: 'max' }, // replaced by ${ACCEL_ARGS[@]} and ${CPU}
      labDir: placeholder('RUN_DIR'),
      tinyGuest: { bootDisk: placeholder('BOOT_DISK') },
      disks: { [vm.name]: placeholder(diskVariable(vm.name)) },
    });
    const body = argvLines(qemuArgs(spec), tcgAccelOption(spec.boot.kind)).map((l) => `        ${l}`).join('\n');
    return `    ${shQuote(vm.name)})\n      QEMU_ARGS=(\n${body}\n      )\n      ;;`;
  });
  return vmCaseFunction(`# Each VM's QEMU command line: exactly the one the Wirebench app runs (shared/qemu-spec.ts).`, 'qemu_args', cases);
}

/** A bash function that picks its body by VM name (`$1`), and says so when there is no such VM. */
function vmCaseFunction(comment: string, name: string, arms: string[]): string {
  return [
    comment,
    `${name}() {`,
    `  case $1 in`,
    ...arms,
    `    *)`,
    `      warn "no VM named '$1'"`,
    `      return 1`,
    `      ;;`,
    `  esac`,
    `}`,
  ].join('\n');
}

/**
 * The accelerator rule as bash: one `case` arm per (choice, what QEMU's user can do with
 * /dev/kvm), printed from `decideAccel` itself, so the script and the app cannot disagree.
 */
export function accelRuleFunction(): string {
  const accesses: KvmAccess[] = ['missing', 'denied', 'usable'];
  const arms = ACCEL_CHOICES.flatMap((choice) =>
    accesses.map((access) => {
      try {
        const d = decideAccel(choice, access);
        const args = accelArgs(d.accelerators).map(shQuote).join(' ');
        return `    ${choice}:${access}) ACCEL_ARGS=(${args}) CPU=${d.cpu} KVM_DENIED=${d.kvmDenied ? 1 : 0} ;;`;
      } catch (err) {
        if (!(err instanceof AccelRuleError)) throw err;
        return `    ${choice}:${access}) return 1 ;;`;
      }
    }),
  );
  return [
    `# Which accelerators QEMU gets: $1 = WIREBENCH_ACCEL (auto|kvm|tcg), $2 = what QEMU's user can`,
    `# do with /dev/kvm (missing|denied|usable). The app's rule (shared/accel-rule.ts), table for table.`,
    `accel_rule() {`,
    `  case "$1:$2" in`,
    ...arms,
    `    *) return 1 ;;`,
    `  esac`,
    `}`,
  ].join('\n');
}

// Words the script knows only when it runs, as shell variables: the namespace (a constant of
// the script, named once), QEMU's user and group, and the arguments of the cable functions.
const QEMU_UID = '/@QEMU_UID@';
const QEMU_GID = '/@QEMU_GID@';
const ARG_TAP = '/@1@';
const ARG_BRIDGE = '/@2@';

/** One command as a line of the script: the tool, then its argv with the variables above. */
function commandLine(command: NetCommand, ns: string): string {
  const variables: Record<string, string> = { [ns]: 'NS', [QEMU_UID]: 'QEMU_UID', [QEMU_GID]: 'QEMU_GID', [ARG_TAP]: '1', [ARG_BRIDGE]: '2' };
  return [command.tool, ...command.args.map((arg) => (variables[arg] ? `"$${variables[arg]}"` : shQuote(arg)))].join(' ');
}

const NETWORK_OPS = new Set<HelperCall['op']>(['ns.create', 'ns.delete', 'bridge.create', 'bridge.delete', 'tap.create', 'tap.delete', 'link.attach', 'link.detach', 'link.set', 'link.mtu', 'netem.set', 'netem.clear']);
function isNetworkStep(call: HelperCall): call is NetworkStep {
  return NETWORK_OPS.has(call.op);
}

/**
 * One step of the plan as script lines, with the library's guards (lab-library.sh): a step
 * that creates something skips it when it exists, the commands that set up a new TAP run only
 * for a TAP this run created, and impairments fall back to tbf on kernels without netem.
 */
function stepLines(step: HelperCall, ns: string): string[] {
  if (!isNetworkStep(step)) throw new Error(`bash export: ${step.op} is not a network step`);
  const line = (command: NetCommand) => commandLine(command, ns);
  const [first, ...rest] = stepCommands(step, { uid: QEMU_UID, gid: QEMU_GID });
  switch (step.op) {
    case 'ns.create':
      return [`new_netns ${line(first!)}`, ...rest.map((c) => `if_new "$NS" ${line(c)}`)];
    case 'bridge.create':
    case 'tap.create': {
      const name = shQuote(step.op === 'tap.create' ? step.tap : step.bridge);
      return [`new_link ${name} ${line(first!)}`, ...rest.map((c) => `if_new ${name} ${line(c)}`)];
    }
    case 'link.attach':
      return [`if_new ${shQuote(step.tap)} ${line(first!)}`];
    case 'link.set':
      return [`if_new ${shQuote(step.dev)} ${line(first!)}`];
    case 'netem.set': {
      const { netem, fallback } = netemCommands(step.ns, step.dev, step.netem);
      const dev = shQuote(step.dev);
      return [...(fallback ? [`netem_fallback ${dev} ${step.netem.rateKbit} ${line(fallback)}`] : []), `set_netem ${dev} ${line(netem)}`];
    }
    default:
      return [first!, ...rest].map(line);
  }
}

function stepsFunction(name: string, steps: HelperCall[], ns: string): string[] {
  return [`${name}() {`, ...steps.flatMap((step) => stepLines(step, ns)).map((l) => `  ${l}`), `}`];
}

function networkFunctions(lab: LabDocument): string {
  const ns = namespaceName(lab);
  const cableUp = [linkAttach(ns, ARG_TAP, ARG_BRIDGE)];
  const cableDown = [linkDetach(ns, ARG_TAP), linkSet(ns, ARG_TAP, false)];
  return [
    `# The lab's network, step by step as the app's runtime builds it (its plan, net-plan.ts), each`,
    `# step with the app's ip/tc argv (shared/net-commands.ts): namespace, bridges, then each VM's`,
    `# TAPs (pulled cables off their bridge) and impairments; skips what exists.`,
    ...stepsFunction('create_network', networkUpPlan(lab), ns),
    '',
    `# Deleting the namespace removes every bridge and TAP in it.`,
    ...stepsFunction('delete_network', networkDownPlan(lab), ns),
    '',
    `# The cable between TAP $1 and host bridge $2: plugged (up) or pulled (down; the TAP also goes`,
    `# down, which status shows), with the app's argv.`,
    `cable_up() {`,
    ...cableUp.map((c) => `  ${commandLine(c, ns)}`),
    `}`,
    `cable_down() {`,
    ...cableDown.map((c) => `  ${commandLine(c, ns)}`),
    `}`,
  ].join('\n');
}

const SEED_END = 'WIREBENCH_SEED_END';

/**
 * Each VM's cloud-init seed: the app's renderer's files, byte for byte, as quoted here-documents
 * (`write_seed VM DIR`), and `build_seed VM`, which makes the image the app makes, with the same
 * command, where the app puts it ($RUN_DIR/VM.seed.iso, read-only for QEMU).
 */
function seedFunctions(lab: LabDocument): string {
  const cases = lab.vms.map((vm) => {
    const seed = renderSeed(lab, vm.name);
    const files = SEED_FILES.flatMap((file) => {
      // A quoted here-document ends at a line equal to its word; no seed line is (they are indented or keyed).
      if (seed[file].split('\n').includes(SEED_END)) throw new Error(`bash export: the seed of VM "${vm.name}" holds the line ${SEED_END}`);
      return [`      cat >"$2/${file}" <<'${SEED_END}'`, ...seed[file].replace(/\n$/, '').split('\n'), SEED_END];
    });
    return [`    ${shQuote(vm.name)})`, ...files, `      ;;`].join('\n');
  });
  const build = seedImageCommand('"$dir"', '"$RUN_DIR/$1.seed.iso"').map((w) => (w.startsWith('"') ? w : shQuote(w)));
  return [
    vmCaseFunction(`# Each VM's cloud-init seed (shared/cloud-init-seed.ts): hostname, NICs, routes, hosts, startup.`, 'write_seed', cases),
    ``,
    `# The seed image QEMU attaches read-only, built as the app builds it.`,
    `build_seed() {`,
    `  local dir`,
    `  dir=$(mktemp -d)`,
    `  write_seed "$1" "$dir" &&`,
    `    ${build.join(' ')} &&`,
    `    chmod 0644 "$RUN_DIR/$1.seed.iso"`,
    `  local status=$?`,
    `  rm -rf -- "$dir"`,
    `  return "$status"`,
    `}`,
  ].join('\n');
}

function checkImagesFunction(lab: LabDocument): string {
  const lines: string[] = [];
  if (lab.vms.some((vm) => vm.image.kind === 'tiny')) {
    lines.push(`check_image 'guest boot disk' BOOT_DISK`);
  }
  for (const vm of lab.vms) {
    if (vm.image.kind === 'qcow2') lines.push(`check_image ${shQuote(`disk of VM ${vm.name}`)} ${diskVariable(vm.name)} writable`);
  }
  if (!lines.length) lines.push(':');
  return [`check_images() {`, ...lines.map((l) => `  ${l}`), `}`].join('\n');
}

function imageVariables(lab: LabDocument): string {
  const lines: string[] = [];
  if (lab.vms.some((vm) => vm.image.kind === 'tiny')) {
    lines.push(
      `# The tiny guest's boot disk (built by Wirebench's setup).`,
      `if [[ -n \${WIREBENCH_GUEST_DIR:-} ]]; then`,
      `  GUEST_DIR=$WIREBENCH_GUEST_DIR`,
      `elif [[ $EUID -eq 0 ]]; then`,
      `  GUEST_DIR=${ROOT_GUEST_DIR}`,
      `else`,
      `  GUEST_DIR=\${XDG_CACHE_HOME:-\${HOME:-}/.cache}/wirebench/guest`,
      `fi`,
      `BOOT_DISK=\${BOOT_DISK:-$GUEST_DIR/boot.img}`,
    );
  }
  const disks = lab.vms.flatMap((vm) => (vm.image.kind === 'qcow2' ? [`${diskVariable(vm.name)}=\${${diskVariable(vm.name)}:-${shQuote(vm.image.path)}}`] : []));
  if (disks.length) lines.push(`# Disk images of qcow2 VMs.`, ...disks);
  return lines.join('\n');
}

function header(lab: LabDocument, warnings: string[]): string {
  return [
    `#!/usr/bin/env bash`,
    `# Wirebench lab "${shComment(lab.name)}", exported as a script that rebuilds it without the app.`,
    `# Generated from the lab document: change the document and export again rather than this file.`,
    `#`,
    `# Usage, as root: up | down | status | console VM | capture VM BRIDGE [FILE] | link VM BRIDGE up|down`,
    `# Needs the Debian packages iproute2, util-linux, qemu-system-x86 and xorriso (cloud-init seeds); socat for consoles and`,
    `# for telling guests about pulled cables; tcpdump for captures.`,
    `# Set from the environment to override: BOOT_DISK (or WIREBENCH_GUEST_DIR), DISK_<VM>,`,
    `# WIREBENCH_ACCEL=auto|kvm|tcg, WIREBENCH_QEMU_USER and WIREBENCH_QEMU_GROUP (default nobody/nogroup).`,
    ...(warnings.length ? ['#', ...warnings.map((w) => `# ${shComment(w)}`)] : []),
    `set -euo pipefail`,
  ].join('\n');
}

function labVariables(lab: LabDocument): string {
  const nicLines = lab.nics.map((nic) => {
    const fields = [nic.vm, nic.bridge, tapName(nic.vm, nic.bridge), netdevId(nic.bridge), hostBridgeName(nic.bridge), nic.link];
    return `  ${shQuote(fields.join(' '))}`;
  });
  return [
    // For messages only: one line, whatever the name holds.
    `LAB_NAME=${shQuote(shComment(lab.name))}`,
    `NS=${namespaceName(lab)}`,
    `VMS=(${lab.vms.map((v) => shQuote(v.name)).join(' ')})`,
    `# One line per NIC: VM, bridge, host TAP, QEMU netdev id, host bridge, cable in the document.`,
    nicLines.length ? `NICS=(\n${nicLines.join('\n')}\n)` : 'NICS=()',
  ].join('\n');
}

/**
 * The lab as a bash script. Refuses an invalid document with `LabValidationError` (every
 * problem with its JSON path); validator warnings become comments in the script.
 */
export function exportBash(input: LabDocumentInput): string {
  const result = validateLab(input);
  if (!result.ok) throw new LabValidationError(result.problems);
  const lab = result.lab;
  const warnings = result.problems.map(formatProblem);
  return [
    header(lab, warnings),
    '',
    imageVariables(lab),
    '',
    labVariables(lab),
    '',
    qemuArgsFunction(lab),
    '',
    seedFunctions(lab),
    '',
    accelRuleFunction(),
    '',
    networkFunctions(lab),
    '',
    checkImagesFunction(lab),
    '',
    labLibrary(),
  ]
    .filter((part, i, all) => !(part === '' && all[i - 1] === ''))
    .join('\n');
}
