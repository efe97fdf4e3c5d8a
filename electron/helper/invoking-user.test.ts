import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseUid, resolveInvokingUser } from './invoking-user.js';

const dir = mkdtempSync(join(tmpdir(), 'wirebench-users-'));
const passwdPath = join(dir, 'passwd');
const groupPath = join(dir, 'group');
writeFileSync(passwdPath, 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1001::/home/alice:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
writeFileSync(groupPath, 'root:x:0:\nnogroup:x:65534:\nalice:x:1001:\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('invoking user', () => {
  it('is the pkexec caller, and QEMU runs as that user', () => {
    const user = resolveInvokingUser({ env: { PKEXEC_UID: '1000' }, processUid: 0, passwdPath, groupPath });
    expect(user).toMatchObject({ uid: 1000, gid: 1001, qemuUid: 1000, qemuGid: 1001, runtimeRoot: '/run/wirebench/1000' });
    expect(user.allowedRunRoots).toEqual(['/run/wirebench/1000/', '/run/user/1000/wirebench/']);
  });

  it('is the process user without pkexec; root hands QEMU to nobody/nogroup', () => {
    const user = resolveInvokingUser({ env: {}, processUid: 0, passwdPath, groupPath });
    expect(user).toMatchObject({ uid: 0, gid: 0, qemuUid: 65534, qemuGid: 65534, runtimeRoot: '/run/wirebench/0' });
  });

  it('refuses a malformed PKEXEC_UID instead of guessing', () => {
    for (const bad of ['-1', 'root', '1e3', '1000 ', '99999999999']) expect(() => parseUid(bad)).toThrow(/PKEXEC_UID/);
    expect(parseUid('0')).toBe(0);
  });
});
