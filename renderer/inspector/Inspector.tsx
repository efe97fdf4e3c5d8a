import { useLab } from '../store/lab-store.js';
import { useUi } from '../store/ui-store.js';
import { parseNicEdgeId, parseNodeId } from '../store/edit-rules.js';
import { VmInspector } from './VmInspector.js';
import { BridgeInspector } from './BridgeInspector.js';
import { NicInspector } from './NicInspector.js';

/** Properties of the one selected VM, bridge or NIC. */
export function Inspector() {
  const document = useLab((s) => s.document);
  const selected = useUi((s) => s.selected);
  let body = <p className="wb-muted">Select a VM, a bridge or a cable to see its properties.</p>;
  if (document && selected.length > 1) body = <p className="wb-muted">{selected.length} items selected.</p>;
  else if (document && selected.length === 1) {
    const id = selected[0]!;
    const node = parseNodeId(id);
    const nicRef = parseNicEdgeId(id);
    const vm = node?.kind === 'vm' ? document.vms.find((v) => v.name === node.name) : undefined;
    const bridge = node?.kind === 'bridge' ? document.bridges.find((b) => b.name === node.name) : undefined;
    const nic = nicRef ? document.nics.find((n) => n.vm === nicRef.vm && n.bridge === nicRef.bridge) : undefined;
    if (vm) body = <VmInspector key={id} vm={vm} document={document} />;
    else if (bridge) body = <BridgeInspector key={id} bridge={bridge} document={document} />;
    else if (nic) body = <NicInspector key={id} nic={nic} document={document} />;
  }
  return (
    <aside className="wb-inspector" aria-label="inspector" data-testid="inspector">
      {body}
    </aside>
  );
}
