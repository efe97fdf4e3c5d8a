/**
 * The xterm.js side of a console tab: one Terminal with the fit, search and web-links addons,
 * created the first time the tab is shown and disposed when the tab closes (many idle
 * terminals are what breaks other tools). Its host element moves between React mounts, so
 * switching tabs neither recreates the terminal nor loses its scrollback.
 */
import { Terminal, type IDisposable } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon, type ISearchOptions } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import '@xterm/xterm/css/xterm.css';
import type { ConsoleSession } from './console-session.js';

export const SCROLLBACK_LINES = 10_000;

/** Answers a terminal gives to queries in the output (cursor position, device attributes, status). */
const TERMINAL_REPLY = /^(?:\x1b\[[\d;?>]*[Rcn]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))+$/;

const SEARCH_DECORATIONS: ISearchOptions['decorations'] = {
  matchBackground: '#6b5a00',
  matchOverviewRuler: '#c98a00',
  activeMatchBackground: '#c98a00',
  activeMatchColorOverviewRuler: '#ffcc00',
};

export interface SearchResult {
  index: number;
  count: number;
}

export class TerminalView {
  readonly host: HTMLDivElement;
  private term: Terminal | null = null;
  private fitAddon: FitAddon | null = null;
  private searchAddon: SearchAddon | null = null;
  private readonly disposables: IDisposable[] = [];
  /** Replayed-history writes not yet parsed: the terminal's answers to old queries are dropped. */
  private replaying = 0;
  private resizeObserver: ResizeObserver | null = null;
  private fitFrame = 0;
  private searchListeners = new Set<(result: SearchResult) => void>();
  private parsedListeners = new Set<() => void>();
  private disposed = false;

  constructor(
    private readonly session: ConsoleSession,
    private readonly handlers: { onSearchKey(): void; notify(text: string): void },
  ) {
    this.host = document.createElement('div');
    this.host.className = 'wb-console-term';
    this.host.dataset.testid = 'console-terminal';
    this.host.dataset.vm = session.vm;
  }

  get terminal(): Terminal | null {
    return this.term;
  }

  /** Puts the terminal in `parent` (creating it on first use) and keeps it fitted. */
  mount(parent: HTMLElement): void {
    if (this.disposed) return;
    parent.appendChild(this.host);
    if (!this.term) this.create();
    this.resizeObserver?.disconnect();
    this.resizeObserver = new ResizeObserver(() => this.scheduleFit());
    this.resizeObserver.observe(this.host);
    this.scheduleFit();
  }

  unmount(): void {
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
    this.host.remove();
  }

  focus(): void {
    this.term?.focus();
  }

  copy(): boolean {
    const text = this.term?.getSelection() ?? '';
    if (!text) return false;
    const fallback = () => {
      // xterm answers the document's copy event with its selection.
      this.term?.focus();
      document.execCommand('copy');
    };
    if (navigator.clipboard?.writeText) navigator.clipboard.writeText(text).catch(fallback);
    else fallback();
    return true;
  }

  async pasteFromClipboard(): Promise<void> {
    try {
      const text = await navigator.clipboard.readText();
      if (text) this.term?.paste(text);
    } catch {
      this.handlers.notify('the clipboard cannot be read here: paste with Ctrl+Shift+V');
    }
    this.focus();
  }

  selectAll(): void {
    this.term?.selectAll();
  }

  clear(): void {
    this.term?.clear();
  }

  findNext(text: string, backwards = false): boolean {
    if (!this.searchAddon || !text) {
      this.searchAddon?.clearDecorations();
      return false;
    }
    const options: ISearchOptions = { decorations: SEARCH_DECORATIONS };
    return backwards ? this.searchAddon.findPrevious(text, options) : this.searchAddon.findNext(text, { ...options, incremental: false });
  }

  /** Live as-you-type search: keeps the current match if it still matches. */
  findIncremental(text: string): boolean {
    if (!this.searchAddon) return false;
    if (!text) {
      this.searchAddon.clearDecorations();
      return false;
    }
    return this.searchAddon.findNext(text, { decorations: SEARCH_DECORATIONS, incremental: true });
  }

  clearSearch(): void {
    this.searchAddon?.clearDecorations();
  }

  onSearchResult(listener: (result: SearchResult) => void): () => void {
    this.searchListeners.add(listener);
    return () => this.searchListeners.delete(listener);
  }

  /** Called after the terminal parsed output (tests and the bench watch for a marker). */
  onParsed(listener: () => void): () => void {
    this.parsedListeners.add(listener);
    return () => this.parsedListeners.delete(listener);
  }

  /** The last `lines` lines of the buffer (scrollback included), right-trimmed. */
  text(lines = 200): string {
    const buffer = this.term?.buffer.active;
    if (!buffer) return '';
    const out: string[] = [];
    for (let y = Math.max(0, buffer.length - lines); y < buffer.length; y++) {
      const line = buffer.getLine(y);
      if (!line) continue;
      const text = line.translateToString(true);
      // A wrapped line continues the one before it.
      if (line.isWrapped && out.length) out[out.length - 1] += text;
      else out.push(text);
    }
    return out.join('\n');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    cancelAnimationFrame(this.fitFrame);
    this.unmount();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.searchListeners.clear();
    this.parsedListeners.clear();
    this.term?.dispose();
    this.term = null;
  }

  // ---- internals ------------------------------------------------------------------------

  private create(): void {
    const term = new Terminal({
      scrollback: SCROLLBACK_LINES,
      allowProposedApi: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      // A blinking cursor repaints the terminal twice a second forever (~9% of a core here, measured).
      cursorBlink: false,
      theme: { background: '#1b1f27', foreground: '#d8dee9', selectionBackground: '#3d5a80' },
    });
    const fit = new FitAddon();
    const search = new SearchAddon({ highlightLimit: 1000 });
    term.loadAddon(fit);
    term.loadAddon(search);
    term.loadAddon(new WebLinksAddon((event, uri) => {
      event.preventDefault();
      window.open(uri, '_blank', 'noopener,noreferrer');
    }));
    term.open(this.host);
    this.term = term;
    this.fitAddon = fit;
    this.searchAddon = search;

    term.attachCustomKeyEventHandler((event) => this.onKey(event));
    this.disposables.push(
      term.onData((data) => {
        if (this.replaying > 0 && TERMINAL_REPLY.test(data)) return;
        this.session.type(data);
      }),
      term.onBinary((data) => this.session.type(data)),
      term.onWriteParsed(() => {
        for (const listener of this.parsedListeners) listener();
      }),
      search.onDidChangeResults(({ resultIndex, resultCount }) => {
        for (const listener of this.searchListeners) listener({ index: resultIndex, count: resultCount });
      }),
    );
    this.session.output.attach({
      write: (data, done, replay) => {
        if (!this.term) return done();
        if (replay) this.replaying += 1;
        this.term.write(data, () => {
          if (replay) this.replaying -= 1;
          done();
        });
      },
    });
  }

  private onKey(event: KeyboardEvent): boolean {
    if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey || event.altKey || event.metaKey) return true;
    switch (event.code) {
      case 'KeyC':
        event.preventDefault();
        this.copy();
        return false;
      case 'KeyV':
        // Not handled here: the browser's own paste (Ctrl+Shift+V is "paste as plain text")
        // fires the paste event, which xterm turns into input like any paste.
        return false;
      case 'KeyF':
        event.preventDefault();
        this.handlers.onSearchKey();
        return false;
      default:
        return true;
    }
  }

  private scheduleFit(): void {
    cancelAnimationFrame(this.fitFrame);
    this.fitFrame = requestAnimationFrame(() => {
      if (!this.term || !this.host.isConnected || this.host.clientWidth === 0 || this.host.clientHeight === 0) return;
      try {
        this.fitAddon?.fit();
      } catch {
        // not measurable yet (hidden); the next resize fits it
      }
    });
  }
}
