/**
 * A lab that sets itself up, driven as a person would in Chromium: the demo lab routes right
 * after Start with nothing typed (r forwards, a and b route to the wan subnet through r), a
 * route added in the VM inspector reaches the running guest live, and undo takes it away
 * again. Runs on the default accelerator path. Needs root, QEMU and the tiny guest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../shared/host-names.js';
import { downAndClose, startApp, type AppUnderTest } from './support/app-under-test.js';
import { demoLabFile } from './support/consoles.js';
import { missingChromium, missingLabHost, skipWhenMissing } from './support/prerequisites.js';

const skip = skipWhenMissing('e2e/node-config.spec.ts', missingChromium(), missingLabHost());

describe.skipIf(skip)('node configuration in the app', () => {
  let app: AppUnderTest;
  const lab = demoLabFile('e2e-config');
  const namespace = namespaceName({ id: lab.id, name: 'e2e-config' });
  const run = async (vm: string, command: string) => app.mode.engine.invoke('vm.run', { vm, command, timeoutMs: 30_000 });

  beforeAll(async () => {
    app = await startApp({ file: lab.file });
  }, 180_000);

  afterAll(() => downAndClose(app, namespace, { expectDown: true }), 120_000);

  it('the demo routes right after Start: a reaches the wan side through r, with nothing typed; a route added to a in the inspector before Start is there', async () => {
    const { page } = app;
    await page.getByTestId('node-vm:a').click();
    await page.getByTestId('vm-routes').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n10.8.0.0/24 via 10.0.0.254');
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('lab-start').click();
    for (const vm of ['a', 'b', 'r']) {
      await expect.poll(() => app.page.getByTestId(`state-${vm}`).textContent(), { timeout: 150_000, interval: 500 }).toBe('running');
    }
    expect((await run('r', 'cat /proc/sys/net/ipv4/ip_forward')).output.trim()).toBe('1');
    expect((await run('a', 'ip route')).output).toMatch(/^10\.0\.1\.0\/24 via 10\.0\.0\.254 dev eth0/m);
    expect((await run('a', 'ip route')).output).toMatch(/^10\.8\.0\.0\/24 via 10\.0\.0\.254 dev eth0/m);
    expect((await run('a', 'ping -c 2 -W 3 10.0.1.254 >/dev/null 2>&1')).exitCode).toBe(0);
  }, 180_000);

  it('a route added in the inspector reaches the running guest live, and undo removes it', async () => {
    const { page } = app;
    await page.getByTestId('node-vm:b').click();
    const routes = page.getByTestId('vm-routes');
    await routes.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n10.9.0.0/24 via 10.0.0.254');
    await page.keyboard.press('Control+Enter');
    await expect.poll(async () => (await run('b', 'ip route')).output, { timeout: 20_000, interval: 500 }).toMatch(/^10\.9\.0\.0\/24 via 10\.0\.0\.254 dev eth0/m);
    // No restart was needed for a route.
    expect(await page.getByTestId('state-b').textContent()).toBe('running');

    await page.getByTestId('canvas').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await run('b', 'ip route')).output, { timeout: 20_000, interval: 500 }).not.toMatch(/10\.9\.0\.0\/24/);
    expect((await run('b', 'ip route')).output).toMatch(/^10\.0\.1\.0\/24 via 10\.0\.0\.254/m);
  }, 120_000);
});
