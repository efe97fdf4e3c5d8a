/**
 * Console tabs in the bottom dock: the tab buttons (beside the packet viewers'), and the
 * body of the console in front: its connection banner, search box and terminal.
 */
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { statusText, type ConsoleStatus } from './console-session.js';
import { closeConsole, terminalFor } from './consoles.js';
import { useConsoles } from './consoles-store.js';
import type { SearchResult, TerminalView } from './terminal-view.js';
import { ContextMenu } from '../app/ContextMenu.js';

function statusClass(status: ConsoleStatus | undefined): string {
  if (!status) return 'opening';
  if (status.kind === 'disconnected') return status.vmState === 'crashed' ? 'crashed' : 'disconnected';
  return status.kind;
}

export function ConsoleTabs() {
  const tabs = useConsoles((s) => s.tabs);
  const active = useConsoles((s) => s.active);
  const statuses = useConsoles((s) => s.statuses);
  const activate = useConsoles((s) => s.activate);
  if (tabs.length === 0) return null;
  return (
    <>
      <b className="wb-ctabs-label">Consoles</b>
      {tabs.map((vm) => (
        <span
          key={vm}
          role="tab"
          aria-selected={vm === active}
          className={`wb-ptab wb-ctab${vm === active ? ' wb-ptab-on' : ''}`}
          onClick={() => activate(vm)}
          data-testid="console-tab"
          data-vm={vm}
          title={`console of ${vm}: ${statusText(statuses[vm] ?? { kind: 'opening' })}`}
        >
          <span className={`wb-cdot wb-cdot-${statusClass(statuses[vm])}`} aria-hidden />
          {vm}
          <button
            className="wb-pclose"
            title="close this console"
            data-testid="console-close"
            onClick={(e) => {
              e.stopPropagation();
              void closeConsole(vm);
            }}
          >
            ×
          </button>
        </span>
      ))}
    </>
  );
}

export function ConsoleBody({ vm }: { vm: string }) {
  const status = useConsoles((s) => s.statuses[vm]);
  const searchRequest = useConsoles((s) => s.searchRequest);
  const holder = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<TerminalView | null>(null);
  const [searching, setSearching] = useState(false);
  const [menu, setMenu] = useState<{ x: number; y: number } | null>(null);

  useLayoutEffect(() => {
    const terminal = terminalFor(vm);
    if (!terminal || !holder.current) return;
    terminal.mount(holder.current);
    setView(terminal);
    terminal.focus();
    return () => terminal.unmount();
  }, [vm]);

  useEffect(() => {
    if (searchRequest?.vm === vm) setSearching(true);
  }, [searchRequest, vm]);

  const text = statusText(status ?? { kind: 'opening' });
  const kind = statusClass(status);
  return (
    <div className="wb-console" data-testid="console-panel" data-vm={vm}>
      <div className="wb-console-bar">
        <span className={`wb-console-status wb-console-${kind}`} data-testid="console-status" role="status">
          {text}
        </span>
        {status?.kind === 'disconnected' && status.vmState !== 'starting' && <span className="wb-muted">reconnects by itself when {vm} runs again</span>}
        <span className="wb-spacer" />
        {searching && view ? (
          <SearchBox view={view} onClose={() => setSearching(false)} />
        ) : (
          <button title="Find in this console (Ctrl+Shift+F)" onClick={() => setSearching(true)} data-testid="console-search-open">
            Find
          </button>
        )}
        <button title="Copy the selection (Ctrl+Shift+C)" onClick={() => view?.copy()}>
          Copy
        </button>
        <button title="Paste (Ctrl+Shift+V)" onClick={() => void view?.pasteFromClipboard()}>
          Paste
        </button>
      </div>
      <div
        className={`wb-console-holder${kind === 'connected' ? '' : ' wb-console-off'}`}
        ref={holder}
        onContextMenu={(e) => {
          e.preventDefault();
          setMenu({ x: e.clientX, y: e.clientY });
        }}
      />
      {menu && view && <TerminalMenu at={menu} view={view} onSearch={() => setSearching(true)} onClose={() => setMenu(null)} />}
    </div>
  );
}

function SearchBox({ view, onClose }: { view: TerminalView; onClose(): void }) {
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<SearchResult | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
    const off = view.onSearchResult(setResult);
    return () => {
      off();
      view.clearSearch();
    };
  }, [view]);
  const close = () => {
    onClose();
    view.focus();
  };
  const onKey = (e: ReactKeyboardEvent<HTMLInputElement>) => {
    e.stopPropagation();
    if (e.key === 'Enter') {
      e.preventDefault();
      view.findNext(query, e.shiftKey);
    } else if (e.key === 'Escape') close();
  };
  return (
    <span className="wb-console-search">
      <input
        ref={input}
        value={query}
        placeholder="Find…"
        aria-label="find in console"
        data-testid="console-search"
        onChange={(e) => {
          setQuery(e.target.value);
          view.findIncremental(e.target.value);
        }}
        onKeyDown={onKey}
      />
      <span className="wb-muted" data-testid="console-search-count">
        {query ? (result && result.count > 0 ? `${result.index + 1} of ${result.count}` : result?.count === 0 ? 'no match' : '') : ''}
      </span>
      <button title="previous match (Shift+Enter)" onClick={() => view.findNext(query, true)}>
        ↑
      </button>
      <button title="next match (Enter)" onClick={() => view.findNext(query)}>
        ↓
      </button>
      <button title="close (Esc)" onClick={close}>
        ×
      </button>
    </span>
  );
}

function TerminalMenu({ at, view, onSearch, onClose }: { at: { x: number; y: number }; view: TerminalView; onSearch(): void; onClose(): void }) {
  return (
    <ContextMenu
      at={at}
      onClose={onClose}
      testId="console-menu"
      items={[
        { label: 'Copy', run: () => view.copy(), testId: 'console-menu-copy' },
        { label: 'Paste', run: () => void view.pasteFromClipboard(), testId: 'console-menu-paste' },
        { label: 'Select all', run: () => view.selectAll(), testId: 'console-menu-select-all' },
        { label: 'Find…', run: onSearch, testId: 'console-menu-find' },
        { label: 'Clear scrollback', run: () => view.clear(), testId: 'console-menu-clear' },
      ]}
    />
  );
}
