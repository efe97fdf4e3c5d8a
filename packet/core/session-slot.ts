/**
 * The one wiregasm `DissectSession` allowed to exist at a time, shared by every capture of a
 * wiregasm instance.
 *
 * Why only one: Wireshark's dissection state is process-global, not per session. Loading a
 * session calls `epan_new` → `init_dissection()` (resets every protocol's per-file tables and
 * enters the global *file scope* allocator); deleting one calls `epan_free` →
 * `cleanup_dissection()`, which frees the whole file scope — conversations, reassembly tables
 * and the per-frame data every *other* live session still points to. With several sessions
 * alive, the first `delete()` leaves the rest dangling: the next dissection or `delete()` of
 * those reads freed memory, which surfaced as wasm traps ("null function or function signature
 * mismatch", "memory access out of bounds") when a capture's sessions were freed. Keeping
 * exactly one session and freeing it *before* loading the next makes `epan_new`/`epan_free`
 * strictly alternate, which is the lifecycle Wireshark itself (one open file) relies on.
 *
 * Rebuilding a session over one 1,024-packet segment costs ~30–60 ms, so callers keep what
 * they learn from a session (columns, filter matches) in plain JS and come back here only for
 * what needs the dissector again (details, a new filter, follow).
 */
import type { DissectSession, WiregasmLib } from '@goodtools/wiregasm';

interface Current {
  key: string;
  path: string;
  session: DissectSession;
}

let fileCounter = 0;

export class SessionSlot {
  private current: Current | null = null;
  /** Sessions built so far (tests and the bench read it to see how often segments reload). */
  loads = 0;

  constructor(readonly lib: WiregasmLib) {}

  /** Key of the session held now, or null. */
  get heldKey(): string | null {
    return this.current?.key ?? null;
  }

  /**
   * The session over the packets identified by `key` (the key must change whenever those
   * packets change); builds it from `pcap()` after freeing the previous one when needed.
   */
  use(key: string, pcap: () => Uint8Array): DissectSession {
    if (this.current?.key === key) return this.current.session;
    this.release();
    // Wireshark reads packets back from the file for listing and details (random access), so
    // the file stays in wiregasm's in-memory FS for as long as its session lives.
    const path = `/uploads/wb-slot-${++fileCounter}.pcap`;
    this.lib.FS.writeFile(path, pcap());
    const session = new this.lib.DissectSession(path);
    this.loads++;
    let failure: string | null = null;
    try {
      const loaded = session.load();
      if (loaded.code !== 0) failure = loaded.error || `code ${loaded.code}`;
    } catch (err) {
      failure = (err as Error).message;
    }
    this.current = { key, path, session };
    if (failure !== null) {
      this.release();
      throw new Error(`Wireshark could not read these packets (${failure}); save the capture and open it in Wireshark to see why`);
    }
    return session;
  }

  /** Frees the held session when its key matches (a capture closed or a segment evicted). */
  releaseIf(matches: (key: string) => boolean): void {
    if (this.current && matches(this.current.key)) this.release();
  }

  release(): void {
    const current = this.current;
    if (!current) return;
    this.current = null;
    current.session.delete();
    (this.lib.FS as unknown as { unlink(path: string): void }).unlink(current.path);
  }
}
