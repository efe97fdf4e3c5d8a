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
/** Application menu commands, main → renderer. */
export const MENU_CHANNEL = 'wirebench:menu';
/** Native dialogs and window state, renderer → main. */
export const PICK_OPEN_CHANNEL = 'wirebench:shell:pick-open';
export const PICK_SAVE_CHANNEL = 'wirebench:shell:pick-save';
export const DOCUMENT_STATE_CHANNEL = 'wirebench:shell:document-state';
