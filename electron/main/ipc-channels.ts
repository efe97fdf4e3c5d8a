/**
 * Every IPC channel name, in one module imported by main and preload (electron/fiddle's
 * pattern), so the two sides cannot drift apart.
 *
 * Engine commands travel on ONE channel, `wirebench:invoke`, with the command name as the
 * first argument. The command name is validated against the contract (`isChannel`) and the
 * params parsed by the engine's `dispatch`; one handler means one place for the sender check,
 * and the list of commands stays the contract's own table instead of a second list of channel
 * names to keep in sync. The renderer never sees this channel: the preload exposes named
 * methods built by `createLabApi`.
 */
export const INVOKE_CHANNEL = 'wirebench:invoke';
/** Engine events, main → renderer. */
export const EVENT_CHANNEL = 'wirebench:event';
/**
 * A capture's MessagePort, main → renderer (`webContents.postMessage`, message `{captureId}`):
 * one per capture the window started; the bytes travel on the port (Uint8Array messages, then
 * `null` for the end), never on the event channel.
 */
export const CAPTURE_PORT_CHANNEL = 'wirebench:capture-port';
/**
 * Counter ticks on a MessagePort the page's worker owns: renderer → main asks for one, main →
 * renderer answers with the port. Ticks then travel as JSON text on that port (parsed in the
 * worker, as in browser mode) instead of on the event channel.
 */
export const COUNTERS_PORT_CHANNEL = 'wirebench:counters-port';
/** Application menu commands, main → renderer. */
export const MENU_CHANNEL = 'wirebench:menu';
/** Native dialogs and window state, renderer → main. */
export const PICK_OPEN_CHANNEL = 'wirebench:shell:pick-open';
export const PICK_SAVE_CHANNEL = 'wirebench:shell:pick-save';
export const DOCUMENT_STATE_CHANNEL = 'wirebench:shell:document-state';
