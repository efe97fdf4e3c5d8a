import { memo, useEffect, useRef } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { formatBitRate } from '../../shared/format.js';
import { counterHub } from '../store/counter-hub.js';
import { InlineName } from './InlineName.js';
import type { BridgeFlowNode } from './flow-model.js';

/** A bridge: a wide bar cables end on, with the sum of its NICs' traffic updated in place. */
export const BridgeNode = memo(function BridgeNode({ data, selected }: NodeProps<BridgeFlowNode>) {
  const { bridge, problems } = data;
  const totalsRef = useRef<HTMLSpanElement>(null);

  useEffect(() => {
    const update = () => {
      const totals = counterHub.bridge(bridge.name);
      if (totalsRef.current) {
        totalsRef.current.textContent = totals ? `Σ ↓${formatBitRate(totals.rxBps)} ↑${formatBitRate(totals.txBps)}` : '';
      }
    };
    update();
    return counterHub.subscribeBridge(bridge.name, update);
  }, [bridge.name]);

  return (
    <div
      className={`wb-node wb-bridge ${selected ? 'selected' : ''} ${problems ? `has-${problems.severity}` : ''}`}
      data-testid={`node-bridge:${bridge.name}`}
      title={problems?.text}
    >
      <Handle type="target" position={Position.Top} className="wb-handle wb-bridge-handle" data-testid={`handle-bridge:${bridge.name}`} />
      <span className="wb-icon" aria-hidden>⇄</span>
      <InlineName kind="bridge" name={bridge.name} />
      <span className="wb-bridge-totals" ref={totalsRef} data-testid={`totals-${bridge.name}`} />
    </div>
  );
});
