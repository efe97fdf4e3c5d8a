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
        ) : (
          <button onClick={() => void actions.stopVm(vm.name)} data-testid="vm-stop">Stop VM</button>
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
