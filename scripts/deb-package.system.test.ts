/**
 * `make deb` (scripts/build-deb.sh) for real, as root: the package builds from the bundles,
 * `dpkg -i` installs it, the installed CLI validates the installed demo lab and serves the
 * installed UI in browser mode, the polkit policy's exec.path is the installed helper (and that
 * helper answers), and `dpkg -r` leaves no file behind (the file lists before and after match).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { INSTALLED_HELPER_PATH } from '../electron/engine/net/helper-client.js';
import { tally } from '../test-support/suite-tally.js';

const REPO = resolve(import.meta.dirname, '..');
const POLICY = '/usr/share/polkit-1/actions/org.wirebench.helper.policy';
/** Where a package may put files; /var/lib/dpkg is dpkg's own bookkeeping (checked by name). */
const WATCHED = ['/usr', '/etc', '/opt', '/var/lib', '/var/cache/wirebench'];

const out = mkdtempSync(join(tmpdir(), 'wb-deb-'));
let installedByUs = false;
afterAll(() => {
  if (installedByUs) spawnSync('dpkg', ['-r', 'wirebench'], { encoding: 'utf8' });
  rmSync(out, { recursive: true, force: true });
});

function sh(command: string, args: string[], options: { input?: string; timeout?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd: REPO, encoding: 'utf8', timeout: options.timeout ?? 60_000, input: options.input });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function fileList(): Set<string> {
  const r = spawnSync('find', [...WATCHED.filter(existsSync), '-path', '/var/lib/dpkg', '-prune', '-o', '-print'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return new Set(r.stdout.split('\n').filter(Boolean));
}

describe('make deb: a package for lab hosts', () => {
  it('builds, installs, validates the demo, names the installed helper in its policy, and dpkg -r leaves nothing', async () => {
    const already = sh('dpkg-query', ['-W', '-f=${Status}', 'wirebench']);
    expect(already.stdout, 'a wirebench package is already installed on this machine; this test will not replace it').not.toMatch(/install ok installed/);

    const build = sh('bash', ['scripts/build-deb.sh', '--out', out], { timeout: 300_000 });
    expect(build.status, build.stderr).toBe(0);
    const deb = build.stdout.trim().split('\n').at(-1)!;
    expect(existsSync(deb)).toBe(true);

    const before = fileList();
    const install = sh('dpkg', ['-i', deb]);
    installedByUs = true;
    expect(install.status, install.stderr).toBe(0);
    const owned = sh('dpkg', ['-L', 'wirebench']).stdout.split('\n').filter(Boolean);

    // The CLI works from its installed place on the installed demo lab.
    const validate = sh('/usr/bin/wirebench', ['validate', '/usr/lib/wirebench/assets/labs/demo.lab.json']);
    expect(validate.status, validate.stderr).toBe(0);
    // A bad document is refused by the installed CLI too.
    const bad = sh('/usr/bin/wirebench', ['validate', '/usr/share/polkit-1/actions/org.wirebench.helper.policy']);
    tally('installed CLI validates a non-lab file', { badInputs: 1 });
    expect(bad.status).not.toBe(0);

    // The policy names exactly the program pkexec runs, which is the package's helper.
    const policy = readFileSync(POLICY, 'utf8');
    const execPath = /<annotate key="org\.freedesktop\.policykit\.exec\.path">([^<]+)<\/annotate>/.exec(policy)?.[1];
    expect(execPath).toBe(INSTALLED_HELPER_PATH);
    expect(owned).toContain(execPath);
    expect(statSync(execPath!).mode & 0o111).not.toBe(0);
    const info = sh(execPath!, [], { input: '{"id":1,"op":"info"}\n', timeout: 20_000 });
    expect(info.stdout, info.stderr).toMatch(/"id":1,"ok":true/);

    // Browser mode: the installed CLI serves the installed UI.
    const serve = spawn('/usr/bin/wirebench', ['serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error('serve printed no URL within 30 s')), 30_000);
        createInterface({ input: serve.stdout }).on('line', (line) => {
          const found = /(https?:\/\/\S+)/.exec(line)?.[1];
          if (found) {
            clearTimeout(timer);
            resolveUrl(found);
          }
        });
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
    } finally {
      serve.kill('SIGTERM');
      await new Promise((r) => serve.once('exit', r));
    }

    const remove = sh('dpkg', ['-r', 'wirebench']);
    installedByUs = false;
    expect(remove.status, remove.stderr).toBe(0);
    const after = fileList();
    const left = [...after].filter((f) => !before.has(f));
    const dpkgLeft = sh('bash', ['-c', 'ls /var/lib/dpkg/info/wirebench.* 2>/dev/null']).stdout.split('\n').filter(Boolean);
    tally('dpkg -r', { leaked: left.length + dpkgLeft.length });
    expect(left).toEqual([]);
    expect(dpkgLeft).toEqual([]);
    expect(owned.filter((f) => f !== '/.' && !before.has(f) && existsSync(f))).toEqual([]);
  }, 300_000);
});
