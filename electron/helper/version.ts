/** Reported by `info`; bump with package.json so the engine can tell an old installed helper. */
export const HELPER_VERSION = '0.1.0';
