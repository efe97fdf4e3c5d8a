import type { Impairments, LabDocument, Nic } from '../../shared/lab.js';
import { impairmentsSchema, nicSchema } from '../../shared/lab.js';
import { defaultMac, guestNicName, hostBridgeName, namespaceName, tapName } from '../../shared/host-names.js';
import { labStore } from '../store/lab-store.js';
import { useActions } from '../app/actions-context.js';
import { Field, intProblem } from './Field.js';
import { nicFieldProblemIn, orUndefined } from './guest-fields.js';

/** Checks one NIC field with the document schema itself, so the inspector and the file agree. */
function nicFieldProblem(nic: Nic, patch: Partial<Nic>): string | null {
  const parsed = nicSchema.safeParse({ ...nic, ...patch });
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? 'invalid');
}

const IMPAIRMENTS: Array<{ key: keyof Impairments; label: string; unit: string }> = [
  { key: 'delayMs', label: 'Delay', unit: 'ms' },
  { key: 'jitterMs', label: 'Jitter', unit: 'ms' },
  { key: 'lossPercent', label: 'Loss', unit: '%' },
  { key: 'rateKbit', label: 'Rate limit', unit: 'kbit/s' },
];

export function NicInspector({ nic, document }: { nic: Nic; document: LabDocument }) {
  const actions = useActions();
  const ref = { vm: nic.vm, bridge: nic.bridge };
  const update = (patch: Partial<Nic>) => labStore.getState().apply({ kind: 'nic.update', ...ref, patch });

  const impairmentProblem = (key: keyof Impairments, text: string): string | null => {
    if (text.trim() !== '' && !Number.isFinite(Number(text))) return 'write a number, or leave empty for none';
    const next = withImpairment(nic.impairments, key, text);
    if (!next) return null;
    const parsed = impairmentsSchema.safeParse(next);
    return parsed.success ? null : (parsed.error.issues[0]?.message ?? 'invalid');
  };

  return (
    <section aria-label="NIC">
      <h2>
        NIC {nic.vm} ⟷ {nic.bridge}
      </h2>
      <div className="wb-row">
        <span className={`wb-badge link-${nic.link}`}>cable {nic.link === 'up' ? 'plugged' : 'unplugged'}</span>
        <button onClick={() => void actions.toggleLink(ref)} data-testid="nic-toggle-link">
          {nic.link === 'up' ? 'Disconnect' : 'Reconnect'}
        </button>
        <button onClick={() => void actions.resetCounters(ref)}>Reset counters</button>
        <button onClick={() => void actions.capture(ref)}>Capture…</button>
      </div>
      <dl className="wb-facts">
        <dt>Guest name</dt>
        <dd data-testid="nic-guest-name">{guestNicName(document.nics, nic.vm, nic.bridge)}</dd>
        <dt>Host TAP</dt>
        <dd>{tapName(nic.vm, nic.bridge)}</dd>
        <dt>Host bridge</dt>
        <dd>{hostBridgeName(nic.bridge)}</dd>
        <dt>Namespace</dt>
        <dd>{namespaceName(document)}</dd>
      </dl>
      <Field
        label="MAC"
        value={nic.mac ?? ''}
        placeholder={defaultMac(document, nic.vm, nic.bridge)}
        hint="empty: derived from the lab, VM and bridge"
        check={(d) => (d === '' ? null : nicFieldProblem(nic, { mac: d }))}
        onCommit={(d) => update({ mac: d === '' ? undefined : d })}
        testId="nic-mac"
      />
      <Field
        label="IPv4 address / prefix"
        value={nic.ip ?? ''}
        placeholder="10.0.0.1/24"
        hint="empty: no address"
        check={(d) => (d === '' ? null : nicFieldProblem(nic, { ip: d }))}
        onCommit={(d) => update({ ip: d === '' ? undefined : d })}
        testId="nic-ip"
      />
      <Field
        label="IPv6 addresses / prefix"
        value={(nic.ipv6 ?? []).join(' ')}
        placeholder="fd00:1::10/64"
        hint="space-separated; empty: none"
        check={(d) => nicFieldProblemIn(document, nic, 'ipv6', { ipv6: orUndefined(d.split(/[\s,]+/).filter(Boolean)) })}
        onCommit={(d) => update({ ipv6: orUndefined(d.split(/[\s,]+/).filter(Boolean)) })}
        testId="nic-ipv6"
      />
      <Field
        label="MTU"
        value={nic.mtu === undefined ? '' : String(nic.mtu)}
        placeholder="1500"
        hint="empty: 1500; the host TAP follows; applied live on a running VM"
        check={(d) => (d.trim() === '' ? null : (intProblem(d, 68, 9000) ?? nicFieldProblemIn(document, nic, 'mtu', { mtu: Number(d) })))}
        onCommit={(d) => update({ mtu: d.trim() === '' ? undefined : Number(d) })}
        testId="nic-mtu"
      />
      <h3 id="impairments">Impairments</h3>
      {IMPAIRMENTS.map(({ key, label, unit }) => (
        <Field
          key={key}
          label={`${label} (${unit})`}
          value={nic.impairments?.[key] === undefined ? '' : String(nic.impairments[key])}
          placeholder="none"
          check={(d) => impairmentProblem(key, d)}
          onCommit={(d) => actions.setImpairments(ref, withImpairment(nic.impairments, key, d))}
          testId={`nic-${key}`}
        />
      ))}
    </section>
  );
}

/** The impairments with one field set or cleared; undefined when none is left. */
function withImpairment(current: Impairments | undefined, key: keyof Impairments, text: string): Impairments | undefined {
  const next: Record<string, number> = { ...(current ?? {}) };
  if (text.trim() === '') delete next[key];
  else next[key] = Number(text);
  return Object.keys(next).length ? (next as Impairments) : undefined;
}
