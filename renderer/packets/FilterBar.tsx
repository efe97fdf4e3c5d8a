/**
 * Display filter bar: every keystroke is checked by Wireshark's own filter compiler (in the
 * worker) — green when valid, red with its message when not — and the last word is completed
 * from Wireshark's field names. Enter applies a valid filter.
 */
import { useEffect, useState } from 'react';
import type { FieldCompletion } from '../../packet/page.js';
import { packetClient } from './packet-client.js';
import { usePackets, type ViewerTab } from './packets-store.js';

export function FilterBar({ tab }: { tab: ViewerTab }) {
  const [text, setText] = useState(tab.displayFilter);
  const [check, setCheck] = useState<{ ok: boolean; error: string } | null>(null);
  const [completions, setCompletions] = useState<FieldCompletion[]>([]);
  const update = usePackets((s) => s.update);

  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      const client = packetClient();
      void client.call('checkFilter', { filter: text }).then((r) => current && setCheck(text.trim() ? r : null));
      void client.call('complete', { text }).then((c) => current && setCompletions(c.filter((f) => !text.endsWith(f.field))));
    }, 60);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [text]);

  const apply = async (filter: string) => {
    const result = await packetClient().call('setFilter', { id: tab.id, filter });
    setCheck(filter.trim() ? result : null);
    if (result.ok) update(tab.id, { displayFilter: filter, selected: null });
    setCompletions([]);
  };

  const complete = (field: string) => {
    const next = text.replace(/[A-Za-z0-9_.-]*$/, field);
    setText(next);
  };

  const state = check === null ? 'empty' : check.ok ? 'ok' : 'bad';
  return (
    <div className="wb-pfilter">
      <input
        className={`wb-pfilter-input wb-pfilter-${state}`}
        placeholder="Display filter (Wireshark syntax), e.g. icmp or ip.addr == 10.0.0.2 — Enter applies"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') void apply(text);
          if (e.key === 'Tab' && completions[0]) {
            e.preventDefault();
            complete(completions[0].field);
          }
          if (e.key === 'Escape') setCompletions([]);
        }}
        spellCheck={false}
        data-testid="display-filter"
        data-state={state}
        aria-invalid={state === 'bad'}
      />
      <button onClick={() => void apply(text)} disabled={state === 'bad'} data-testid="apply-filter">
        Apply
      </button>
      {tab.displayFilter && (
        <button
          onClick={() => {
            setText('');
            void apply('');
          }}
        >
          Clear filter
        </button>
      )}
      {state === 'bad' && (
        <span className="wb-pfilter-error" data-testid="filter-error">
          {check!.error}
        </span>
      )}
      {completions.length > 0 && text.trim() && (
        <ul className="wb-pcomplete" data-testid="filter-completions">
          {completions.slice(0, 12).map((c) => (
            <li key={c.field} onMouseDown={(e) => { e.preventDefault(); complete(c.field); }}>
              <b>{c.field}</b> <span>{c.name}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
