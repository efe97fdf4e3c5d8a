import { posix } from 'node:path';
import { expect, it } from 'vitest';
import { labRuntimeDir, runtimeRoot, vmRuntimePaths } from './runtime-paths.js';

it('joins runtime paths as node:path would, without node:path', () => {
  expect(runtimeRoot(1000, '/run/user/1000')).toBe('/run/user/1000/wirebench');
  expect(runtimeRoot(1000, '/run/user/1000/')).toBe(posix.join('/run/user/1000/', 'wirebench'));
  expect(runtimeRoot(1000, undefined)).toBe('/run/wirebench/1000');
  expect(runtimeRoot(0, '/run/user/0')).toBe('/run/wirebench/0');
  const dir = labRuntimeDir('/run/wirebench/0/', 'wb-12345678');
  expect(dir).toBe('/run/wirebench/0/wb-12345678');
  const paths = vmRuntimePaths(dir, 'a');
  for (const path of Object.values(paths)) expect(path).toBe(posix.join(dir, path.slice(dir.length + 1)));
  expect(paths).toMatchObject({
    qmpSocket: `${dir}/a.qmp`,
    serialSocket: `${dir}/a.serial`,
    serialLog: `${dir}/a.log`,
    agentSocket: `${dir}/a.agent`,
    pidFile: `${dir}/a.pid`,
  });
});
