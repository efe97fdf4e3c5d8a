/**
 * VM consoles as a person uses them, in browser mode with Debian Chromium and real guests on
 * the default accelerator path (no accel option: TCG when /dev/kvm is not usable): open the
 * demo lab and press Start lab, double-click `a` for its console, ping `b` by typing in it
 * (the cable's rate rises), pull the cable (the ping typed next fails, the carrier typed
 * next reads 0) and plug it back, stop `a` (the tab says disconnected) and start it again
 * (the tab reconnects and shows the new boot), open consoles from the inspector and the
 * context menu. The 20 MB flood has its own file (console-flood.spec.ts).
 * Needs root, QEMU and the tiny guest (`make setup`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../shared/host-names.js';
import { namespaces } from '../electron/engine/test-support/system-lab.js';
import { downAndClose, startApp, type AppUnderTest } from './support/app-under-test.js';
import { consoleText, demoLabFile, openConsoleByDoubleClick, outputOf, typeLine } from './support/consoles.js';
import { missingChromium, missingLabHost, skipWhenMissing } from './support/prerequisites.js';

const skip = skipWhenMissing('e2e/consoles.spec.ts', missingChromium(), missingLabHost());

describe.skipIf(skip)('VM consoles with running guests', () => {
  let app: AppUnderTest;
  const lab = demoLabFile('e2e-consoles');
  const namespace = namespaceName({ id: lab.id, name: 'e2e-consoles' });

  const status = () => app.page.getByTestId('console-status').textContent();
  const text = (vm = 'a', lines = 200) => consoleText(app.page, vm, lines);
  /** Types a command in the console in front and waits for its output and the next prompt. */
  const runTyped = async (command: string, timeoutMs = 30_000, vm = 'a'): Promise<string> => {
    const echoes = async () => (await text(vm, 1000)).split('\n').filter((l) => l.includes(command)).length;
    const before = await echoes();
    await app.page.getByTestId('console-terminal').click();
    await typeLine(app.page, command);
    let output: string | null = null;
    await expect
      .poll(
        async () => {
          if ((await echoes()) <= before) return false;
          output = outputOf(await text(vm), vm, command);
          return output !== null;
        },
        { timeout: timeoutMs, interval: 200 },
      )
      .toBe(true);
    return output!;
  };

  beforeAll(async () => {
    // No accel option and (in CI) no WIREBENCH_ACCEL: the path a person takes.
    app = await startApp({ file: lab.file, query: '&testHooks=1' });
  }, 180_000);

  afterAll(() => downAndClose(app, namespace, { expectDown: true }), 120_000);

  it('starts the demo lab with the Start button: every VM runs', async () => {
    const { page } = app;
    await page.getByTestId('node-vm:a').waitFor();
    await page.getByTestId('lab-start').click();
    for (const vm of ['a', 'b', 'r']) await expect.poll(() => page.getByTestId(`state-${vm}`).textContent(), { timeout: 150_000, interval: 500 }).toBe('running');
    expect(namespaces()).toContain(namespace);
  }, 180_000);

  it("double-clicking a VM opens its console with the guest's prompt", async () => {
    const { page } = app;
    await openConsoleByDoubleClick(page, 'a');
    await expect.poll(() => page.getByTestId('console-tab').allTextContents()).toEqual([expect.stringContaining('a')]);
    await expect.poll(status, { timeout: 15_000 }).toBe('connected');
    await expect.poll(() => page.getByTestId('console-terminal').count()).toBe(1);
    // The history shows the boot; Enter gives a fresh prompt.
    await expect.poll(() => text(), { timeout: 15_000 }).toContain('WIREBENCH-READY a');
    await page.getByTestId('console-terminal').click();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await text()).split('\n').filter((l) => l.trim() === 'a#').length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await app.screenshot('30-console-open');
  }, 60_000);

  it('a ping typed in the console gets replies and the cable counters rise', async () => {
    const { page } = app;
    const rate = page.getByTestId('rate-nic:a:lan');
    const command = 'ping -c 3 10.0.0.2';
    await page.getByTestId('console-terminal').click();
    await typeLine(page, command);
    // A reply a second: some 1-second tick shows it.
    await expect.poll(async () => (await rate.textContent()) ?? '', { timeout: 20_000, interval: 100 }).toMatch(/↓[1-9]/);
    let output: string | null = null;
    await expect.poll(async () => (output = outputOf(await text(), 'a', command)) !== null, { timeout: 30_000 }).toBe(true);
    expect(output).toMatch(/bytes from 10\.0\.0\.2/);
    expect(output).toMatch(/3 packets transmitted, 3 packets received/);
    await app.screenshot('31-console-ping');
  }, 60_000);

  it('pulling the cable: the next ping typed fails and the carrier reads 0; plugging it back: ping works', async () => {
    const { page } = app;
    const edge = page.getByTestId('edge-nic:a:lan');
    await page.getByTestId('hit-nic:a:lan').click({ force: true });
    await expect.poll(() => edge.getAttribute('data-link')).toBe('down');
    const failed = await runTyped('ping -c 2 -W 1 10.0.0.2');
    expect(failed).toMatch(/100% packet loss/);
    await expect.poll(async () => (await runTyped('cat /sys/class/net/eth0/carrier')).trim(), { timeout: 10_000 }).toBe('0');
    await app.screenshot('32-console-cable-pulled');

    await page.getByTestId('hit-nic:a:lan').click({ force: true });
    await expect.poll(() => edge.getAttribute('data-link')).toBe('up');
    // The guest needs about a second after a re-plug before the first ping (platform notes).
    await expect.poll(async () => await runTyped('ping -c 1 -W 2 10.0.0.2'), { timeout: 30_000, interval: 500 }).toMatch(/1 packets received/);
  }, 90_000);

  it('stopping the VM shows disconnected; starting it again reconnects and shows the new boot', async () => {
    const { page } = app;
    const node = page.getByTestId('node-vm:a');
    await node.click({ button: 'right', position: { x: 12, y: 10 } });
    await page.getByTestId('vm-context-menu').waitFor();
    await page.getByTestId('menu-vm-stop').click();
    await expect.poll(status, { timeout: 30_000 }).toMatch(/disconnected — VM (stopping|stopped)/);
    await expect.poll(() => page.getByTestId('state-a').textContent(), { timeout: 30_000 }).toBe('stopped');
    await expect.poll(status).toBe('disconnected — VM stopped');
    await app.screenshot('33-console-disconnected');

    await node.click({ button: 'right', position: { x: 12, y: 10 } });
    await page.getByTestId('menu-vm-start').click();
    await expect.poll(status, { timeout: 150_000, interval: 500 }).toBe('connected');
    // The new boot comes after a separator line, with its ready line and a prompt.
    await expect
      .poll(
        async () => {
          const all = await text('a', 400);
          const after = all.slice(all.lastIndexOf('──── a '));
          return all.includes('──── a ') && after.includes('WIREBENCH-READY a');
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    expect(await runTyped('echo back-$((40+2))')).toBe('back-42');
    await app.screenshot('34-console-reconnected');
  }, 200_000);

  it('search finds earlier output; a paste is typed into the guest; a selection copies to the clipboard', async () => {
    const { page } = app;
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByTestId('console-terminal').click();
    await page.keyboard.press('Control+Shift+F');
    await page.getByTestId('console-search').fill('bytes from 10.0.0.2');
    await expect.poll(() => page.getByTestId('console-search-count').textContent()).toMatch(/^\d+ of \d+$/);
    await page.getByTestId('console-search').press('Escape');
    await expect.poll(() => page.getByTestId('console-search').count()).toBe(0);

    // The browser's paste event (what Ctrl+Shift+V and the context menu cause) goes to the guest.
    await page.getByTestId('console-terminal').click();
    await page.evaluate(`(() => {
      const data = new DataTransfer();
      data.setData('text/plain', 'echo pasted-$((3*3))\\n');
      document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    })()`);
    await expect.poll(async () => outputOf(await text(), 'a', 'echo pasted-$((3*3))'), { timeout: 15_000 }).toBe('pasted-9');

    await page.getByTestId('console-terminal').click({ button: 'right' });
    await page.getByTestId('console-menu-select-all').click();
    await page.getByTestId('console-terminal').click({ button: 'right' });
    await page.getByTestId('console-menu-copy').click();
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()'), { timeout: 5_000 }).toContain('pasted-9');
  }, 60_000);

  it('the inspector and the context menu open consoles; opening one again focuses its tab', async () => {
    const { page } = app;
    await page.getByTestId('node-vm:b').click({ position: { x: 12, y: 10 } });
    await page.getByTestId('open-console').click();
    await expect.poll(() => page.getByTestId('console-tab').count()).toBe(2);
    await expect.poll(() => page.getByTestId('console-panel').getAttribute('data-vm')).toBe('b');
    await expect.poll(status, { timeout: 15_000 }).toBe('connected');
    // The inspector says which accelerator the VM runs on.
    await expect.poll(() => page.getByTestId('vm-accel').textContent(), { timeout: 10_000 }).toMatch(/KVM|TCG/);

    await page.getByTestId('node-vm:a').click({ button: 'right', position: { x: 12, y: 10 } });
    await page.getByTestId('menu-open-console').click();
    await expect.poll(() => page.getByTestId('console-tab').count()).toBe(2);
    await expect.poll(() => page.getByTestId('console-panel').getAttribute('data-vm')).toBe('a');

    // Closing b's tab ends its subscription and disposes its terminal.
    await page.locator('[data-testid="console-tab"][data-vm="b"] [data-testid="console-close"]').click();
    await expect.poll(() => page.getByTestId('console-tab').count()).toBe(1);
    await expect.poll(() => page.evaluate('window.__wirebenchConsoles.terminals()')).toEqual(['a']);
    // …and the engine no longer sends b's bytes to this page.
    const hub = (app.mode.engine as unknown as { consoles?: { watching(vm: string): number } }).consoles;
    if (hub) await expect.poll(() => hub.watching('b')).toBe(0);
  }, 60_000);
});
