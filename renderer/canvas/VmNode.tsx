import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { VmState } from '../../shared/api.js';
import { useRuntime } from '../store/runtime-store.js';
import { useActions } from '../app/actions-context.js';
import { InlineName } from './InlineName.js';
import type { VmFlowNode } from './flow-model.js';

const BADGE: Record<VmState, string> = {
  stopped: 'stopped',
  starting: 'starting',
  running: 'running',
  stopping: 'stopping',
  crashed: 'crashed',
};

/** A VM: name, state badge (crash reason on hover), size, and the handle cables start from. */
export const VmNode = memo(function VmNode({ data, selected }: NodeProps<VmFlowNode>) {
  const { vm, problems } = data;
  const runtime = useRuntime((s) => s.vms[vm.name]);
  const actions = useActions();
  const state = runtime?.state ?? 'stopped';
  const canStart = state === 'stopped' || state === 'crashed';
  return (
    <div
      className={`wb-node wb-vm ${selected ? 'selected' : ''} ${problems ? `has-${problems.severity}` : ''}`}
      data-testid={`node-vm:${vm.name}`}
      title={problems?.text}
    >
      <div className="wb-node-head">
        <span className="wb-icon" aria-hidden>▣</span>
        <InlineName kind="vm" name={vm.name} />
        {runtime?.alerts?.length ? (
          <span className="wb-vm-alert" data-testid={`vm-alert-${vm.name}`} title={runtime.alerts.join('\n')} aria-label={`${runtime.alerts.length} problem(s) in this boot`}>
            ⚠
          </span>
        ) : null}
        <span className={`wb-badge state-${state}`} data-testid={`state-${vm.name}`} title={runtime?.reason ?? `VM is ${state}`}>
          {BADGE[state]}
        </span>
      </div>
      <div className="wb-node-sub">
        {vm.image.kind === 'tiny' ? 'tiny guest' : 'qcow2'} · {vm.cpus} CPU · {vm.memoryMiB} MiB
        <button
          className="wb-node-run nodrag"
          title={canStart ? `Start ${vm.name}` : state === 'stopping' ? `Force stop ${vm.name} (quit now)` : `Stop ${vm.name}`}
          onClick={(e) => {
            e.stopPropagation();
            void (canStart ? actions.startVm(vm.name) : actions.stopVm(vm.name, { force: state === 'stopping' }));
          }}
        >
          {canStart ? '▶' : '■'}
        </button>
      </div>
      <Handle type="source" position={Position.Bottom} className="wb-handle" data-testid={`handle-vm:${vm.name}`} />
    </div>
  );
});
