import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isProcessRunning } from './process-state.js';

describe('isProcessRunning', () => {
  it('is true for a live process, false once it exited, and false for a zombie', async () => {
    expect(isProcessRunning(process.pid)).toBe(true);
    // `sh` starts `sleep 0` in the background and then does not reap it for a while: a zombie child.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5']);
    const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    const deadline = Date.now() + 5000;
    while (isProcessRunning(zombie) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(spawnSync('ps', ['-o', 'stat=', '-p', String(zombie)], { encoding: 'utf8' }).stdout.trim()).toMatch(/^Z/);
    expect(isProcessRunning(zombie)).toBe(false);
    parent.kill('SIGKILL');
    expect(isProcessRunning(999_999_999)).toBe(false);
  });
});
