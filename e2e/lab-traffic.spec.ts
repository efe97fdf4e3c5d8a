/**
 * The designer driving real VMs: build the two-VM lab in the browser, start it, watch the
 * cable's counters rise while `a` pings `b`, pull the cable (the guest loses carrier and the
 * ping fails), plug it back (the ping works again). Needs root, QEMU and the built tiny guest
 * (`make setup`); the guest shell is reached through the engine's `vm.run`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../shared/host-names.js';
import { buildTwoVmLab, downAndClose, emptyLabFile, nameAndAddress, startApp, type AppUnderTest } from './support/app-under-test.js';
import { missingChromium, missingLabHost, skipWhenMissing } from './support/prerequisites.js';

const skip = skipWhenMissing('e2e/lab-traffic.spec.ts', missingChromium(), missingLabHost());

describe.skipIf(skip)('designer with running VMs', () => {
  let app: AppUnderTest;
  const lab = emptyLabFile('e2e-traffic');
  let namespace = '';

  const run = async (vm: string, command: string, timeoutMs = 30_000) => app.mode.engine.invoke('vm.run', { vm, command, timeoutMs });
  const pingExit = async (count: number) => (await run('a', `ping -c ${count} -W 2 10.0.0.2 >/dev/null 2>&1`)).exitCode;

  beforeAll(async () => {
    // The default accelerator path (no WIREBENCH_ACCEL, no accel option), as a person starts it.
    app = await startApp({ file: lab.file });
    namespace = namespaceName((await app.mode.engine.invoke('lab.current', {}))!.document);
  }, 180_000);

  afterAll(() => downAndClose(app, namespace), 120_000);

  it('builds the lab in the UI and starts it with the Start button', async () => {
    const { page } = app;
    await buildTwoVmLab(page);
    await nameAndAddress(page);
    await page.getByTestId('lab-start').click();
    for (const vm of ['a', 'b']) await expect.poll(() => page.getByTestId(`state-${vm}`).textContent(), { timeout: 120_000, interval: 500 }).toBe('running');
    await app.screenshot('10-lab-running');
  }, 180_000);

  it('shows the edge counters rising while a pings b', async () => {
    const { page } = app;
    const rate = page.getByTestId('rate-nic:a:lan1');
    const pinging = run('a', 'ping -c 50 -i 0.1 10.0.0.2 >/dev/null 2>&1', 60_000);
    await expect.poll(async () => (await rate.textContent()) ?? '', { timeout: 20_000, interval: 250 }).toMatch(/↓[1-9][\d.]* k?bit\/s ↑[1-9]/);
    await expect.poll(async () => (await page.getByTestId('totals-lan1').textContent()) ?? '', { timeout: 10_000 }).toMatch(/Σ ↓[1-9]/);
    await app.screenshot('11-counters-rising');
    expect((await pinging).exitCode).toBe(0);
  }, 90_000);

  it('clicking the cable pulls it: the guest loses carrier and ping fails; clicking again restores it', async () => {
    const { page } = app;
    const edge = page.getByTestId('edge-nic:a:lan1');
    await page.getByTestId('hit-nic:a:lan1').click({ force: true });
    await expect.poll(() => edge.getAttribute('data-link')).toBe('down');
    await expect.poll(async () => (await run('a', 'cat /sys/class/net/eth0/carrier')).output.trim(), { timeout: 10_000 }).toBe('0');
    expect(await pingExit(2)).not.toBe(0);
    await app.screenshot('12-cable-pulled');

    await page.getByTestId('hit-nic:a:lan1').click({ force: true });
    await expect.poll(() => edge.getAttribute('data-link')).toBe('up');
    // The guest needs about a second after re-plug before the first ping (docs/platform-facts.md).
    await expect.poll(() => pingExit(1), { timeout: 20_000, interval: 1000 }).toBe(0);
    await app.screenshot('13-cable-replugged');
  }, 120_000);
});
