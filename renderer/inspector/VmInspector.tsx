import type { LabDocument, Vm } from '../../shared/lab.js';
import { imageSchema } from '../../shared/lab.js';
import { labStore } from '../store/lab-store.js';
import { useRuntime } from '../store/runtime-store.js';
import { renameProblem } from '../store/edit-rules.js';
import { useUi } from '../store/ui-store.js';
import { useActions } from '../app/actions-context.js';
import { Field, intProblem } from './Field.js';
import { openConsole } from '../consoles/consoles.js';
import { useVmAccel } from '../consoles/vm-accel.js';
import { LinesField, lines } from './LinesField.js';
import { hostsText, orUndefined, parseHosts, parseRoutes, routesText, startupText, vmFieldProblem } from './guest-fields.js';

export function VmInspector({ vm, document }: { vm: Vm; document: LabDocument }) {
  const runtime = useRuntime((s) => s.vms[vm.name]);
  const accel = useVmAccel((s) => s.vms[vm.name]);
  const actions = useActions();
  const update = (patch: Partial<Vm>) => labStore.getState().apply({ kind: 'vm.update', name: vm.name, patch });
  const state = runtime?.state ?? 'stopped';
  const nics = document.nics.filter((n) => n.vm === vm.name);
  return (
    <section aria-label="VM">
      <h2>VM {vm.name}</h2>
      <div className="wb-row">
        <span className={`wb-badge state-${state}`}>{state}</span>
        {state === 'stopped' || state === 'crashed' ? (
          <button onClick={() => void actions.startVm(vm.name)} data-testid="vm-start">Start VM</button>
        ) : state === 'stopping' ? (
          <button onClick={() => void actions.stopVm(vm.name, { force: true })} data-testid="vm-force-stop" title="Quit QEMU now, without waiting for the guest to power off">
            Force stop
          </button>
        ) : (
          <button onClick={() => void actions.stopVm(vm.name)} data-testid="vm-stop" title="Press the power button; the guest is quit if it has not powered off after 30 s">Stop VM</button>
        )}
        <button onClick={() => openConsole(vm.name)} data-testid="open-console" title="Open the serial console (or double-click the VM)">Open console</button>
      </div>
      {state === 'running' && accel?.accel && (
        <div className="wb-accel" data-testid="vm-accel">
          Accelerator: <b>{accel.accel === 'kvm' ? 'KVM' : 'TCG'}</b> {accel.accel === 'tcg' ? '(software emulation, slower)' : '(hardware)'}
        </div>
      )}
      {accel?.hint && (
        <div className="wb-accel-hint" data-testid="vm-accel-hint">
          {accel.hint}
        </div>
      )}
      {runtime?.reason && <pre className="wb-crash-reason">{runtime.reason}</pre>}
      {runtime?.alerts?.length ? (
        <ul className="wb-vm-alerts" data-testid="vm-alerts" aria-label="Problems in this boot">
          {runtime.alerts.map((alert, i) => (
            <li key={i}>{alert}</li>
          ))}
        </ul>
      ) : null}
      <Field label="Name" value={vm.name} check={(d) => renameProblem(document, 'vm', vm.name, d)} onCommit={(name) => update({ name }) && useUi.getState().renameSelected(`vm:${vm.name}`, `vm:${name}`)} testId="inspector-vm-name" />
      <label className="wb-field">
        <span>Image</span>
        <select value={vm.image.kind} onChange={(e) => update({ image: e.target.value === 'tiny' ? { kind: 'tiny' } : { kind: 'qcow2', path: vm.image.kind === 'qcow2' ? vm.image.path : '/var/lib/images/disk.qcow2' } })}>
          <option value="tiny">built-in tiny guest</option>
          <option value="qcow2">qcow2 disk image</option>
        </select>
      </label>
      {vm.image.kind === 'qcow2' && (
        <Field
          label="Disk image path (on the engine host)"
          value={vm.image.path}
          check={(d) => (imageSchema.safeParse({ kind: 'qcow2', path: d }).success ? null : 'give the path of a qcow2 file')}
          onCommit={(path) => update({ image: { kind: 'qcow2', path } })}
        />
      )}
      <Field label="CPUs" value={String(vm.cpus)} check={(d) => intProblem(d, 1, 64)} onCommit={(d) => update({ cpus: Number(d) })} />
      <Field label="Memory (MiB)" value={String(vm.memoryMiB)} check={(d) => intProblem(d, 64, 65_536, 'MiB')} onCommit={(d) => update({ memoryMiB: Number(d) })} />
      <h3>Network and startup</h3>
      <label className="wb-field wb-check">
        <input type="checkbox" checked={vm.forwarding ?? false} onChange={(e) => update({ forwarding: e.target.checked ? true : undefined })} data-testid="vm-forwarding" />
        <span>Forwarding (routes between its NICs)</span>
      </label>
      <LinesField
        label="Routes"
        value={routesText(vm.routes)}
        placeholder={'default via 10.0.0.254\n10.2.0.0/24 via 10.1.0.1'}
        hint="one per line: DESTINATION via GATEWAY (IPv4 or IPv6); applied live on a running VM"
        check={(d) => {
          const parsed = parseRoutes(d);
          return 'problem' in parsed ? parsed.problem : vmFieldProblem(document, vm.name, 'routes', { routes: orUndefined(parsed.routes) });
        }}
        onCommit={(d) => {
          const parsed = parseRoutes(d);
          if ('routes' in parsed) update({ routes: orUndefined(parsed.routes) });
        }}
        testId="vm-routes"
      />
      <LinesField
        label="Extra /etc/hosts names"
        value={hostsText(vm.hosts)}
        placeholder="10.2.0.10 www.lab"
        hint="one per line: ADDRESS NAME [NAME…]; the lab's own names are always there"
        check={(d) => {
          const parsed = parseHosts(d);
          return 'problem' in parsed ? parsed.problem : vmFieldProblem(document, vm.name, 'hosts', { hosts: orUndefined(parsed.hosts) });
        }}
        onCommit={(d) => {
          const parsed = parseHosts(d);
          if ('hosts' in parsed) update({ hosts: orUndefined(parsed.hosts) });
        }}
        testId="vm-hosts"
      />
      <LinesField
        label="Startup commands"
        value={startupText(vm.startup)}
        placeholder="httpd -h /www"
        hint="one shell command per line, run in order at boot once the network is up; output on the serial console, a failure is reported"
        check={(d) => vmFieldProblem(document, vm.name, 'startup', { startup: orUndefined(lines(d)) })}
        onCommit={(d) => update({ startup: orUndefined(lines(d)) })}
        testId="vm-startup"
      />
      <h3>NICs</h3>
      <ul className="wb-list">
        {nics.length === 0 && <li className="wb-muted">none: drag from the VM's handle to a bridge</li>}
        {nics.map((n) => (
          <li key={n.bridge}>
            {n.bridge} {n.ip ?? ''} {n.link === 'down' ? '(unplugged)' : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
