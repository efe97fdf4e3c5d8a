/**
 * Where a running lab keeps its files: QMP and serial sockets, serial logs, pid files.
 * The app and the exported script use the same layout, so either can find (adopt) a lab
 * the other started. Unix socket paths must stay under 108 bytes: names are short by rule.
 */

/** `dir/name` without doubling a trailing slash of `dir` (names here never contain a slash). */
function join(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

/**
 * `$XDG_RUNTIME_DIR/wirebench`, or `/run/wirebench/<uid>` when there is no XDG runtime dir.
 * Root always uses `/run/wirebench/0`: its QEMU runs as `nobody`, which cannot enter root's
 * 0700 `/run/user/0`.
 */
export function runtimeRoot(uid: number, xdgRuntimeDir: string | undefined): string {
  return xdgRuntimeDir && uid !== 0 ? join(xdgRuntimeDir, 'wirebench') : `/run/wirebench/${uid}`;
}

/** The folder of one lab: named after its namespace. */
export function labRuntimeDir(root: string, namespace: string): string {
  return join(root, namespace);
}

export interface VmRuntimePaths {
  qmpSocket: string;
  serialSocket: string;
  serialLog: string;
  agentSocket: string;
  pidFile: string;
  /** The VM's cloud-init seed image (shared/cloud-init-seed.ts), rebuilt before each start. */
  seedImage: string;
}

export function vmRuntimePaths(labDir: string, vm: string): VmRuntimePaths {
  return {
    qmpSocket: join(labDir, `${vm}.qmp`),
    serialSocket: join(labDir, `${vm}.serial`),
    serialLog: join(labDir, `${vm}.log`),
    agentSocket: join(labDir, `${vm}.agent`),
    pidFile: join(labDir, `${vm}.pid`),
    seedImage: join(labDir, `${vm}.seed.iso`),
  };
}
