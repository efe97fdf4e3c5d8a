import { useEffect, useReducer } from 'react';
import type { Bridge, LabDocument } from '../../shared/lab.js';
import { hostBridgeName, namespaceName } from '../../shared/host-names.js';
import { formatBitRate } from '../../shared/format.js';
import { labStore } from '../store/lab-store.js';
import { counterHub } from '../store/counter-hub.js';
import { renameProblem } from '../store/edit-rules.js';
import { useUi } from '../store/ui-store.js';
import { Field } from './Field.js';
import { openBridgeViewer } from '../packets/viewer-actions.js';

export function BridgeInspector({ bridge, document }: { bridge: Bridge; document: LabDocument }) {
  const [, refresh] = useReducer((n: number) => n + 1, 0);
  useEffect(() => counterHub.subscribeBridge(bridge.name, refresh), [bridge.name]);
  const totals = counterHub.bridge(bridge.name);
  const nics = document.nics.filter((n) => n.bridge === bridge.name);
  return (
    <section aria-label="bridge">
      <h2>Bridge {bridge.name}</h2>
      <Field
        label="Name"
        value={bridge.name}
        check={(d) => renameProblem(document, 'bridge', bridge.name, d)}
        onCommit={(name) => labStore.getState().apply({ kind: 'bridge.update', name: bridge.name, patch: { name } }) && useUi.getState().renameSelected(`bridge:${bridge.name}`, `bridge:${name}`)}
        testId="inspector-bridge-name"
      />
      <dl className="wb-facts">
        <dt>Host bridge</dt>
        <dd>{hostBridgeName(bridge.name)}</dd>
        <dt>Namespace</dt>
        <dd>{namespaceName(document)}</dd>
        <dt>Traffic (sum of NICs)</dt>
        <dd>{totals ? `↓${formatBitRate(totals.rxBps)} ↑${formatBitRate(totals.txBps)}` : '—'}</dd>
      </dl>
      <button onClick={() => openBridgeViewer(bridge.name)} data-testid="bridge-capture">
        Capture whole bridge…
      </button>
      <h3>NICs on this bridge</h3>
      <ul className="wb-list">
        {nics.length === 0 && <li className="wb-muted">none yet</li>}
        {nics.map((n) => (
          <li key={n.vm}>
            {n.vm} {n.ip ?? ''} {n.link === 'down' ? '(unplugged)' : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
