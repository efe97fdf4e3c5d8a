/**
 * The designer in a real browser against the real engine in browser mode, without booting VMs:
 * build a two-VM lab from the palette, rename with undo/redo, pull a cable on the stopped lab,
 * save, and check that a wrong token gets nowhere. Screenshots land in test-results/e2e/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLab } from '../shared/lab.js';
import { launchChromium } from './support/chromium.js';
import { buildTwoVmLab, centreOf, dragMouse, emptyLabFile, nameAndAddress, SCREENSHOTS, startApp, type AppUnderTest } from './support/app-under-test.js';
import { missingChromium, skipWhenMissing } from './support/prerequisites.js';

const skip = skipWhenMissing('e2e/designer-ui.spec.ts', missingChromium());

describe.skipIf(skip)('designer UI in browser mode', () => {
  let app: AppUnderTest;
  const lab = emptyLabFile('e2e-ui');

  beforeAll(async () => {
    app = await startApp({ file: lab.file });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('builds a two-VM lab by dragging from the palette and connecting', async () => {
    const { page } = app;
    await buildTwoVmLab(page);
    await expect(page.getByTestId('dirty').isVisible()).resolves.toBe(true);
    // A second cable between the same VM and bridge is refused and says why.
    const engineDoc = async () => (await app.mode.engine.invoke('lab.current', {}))!.document;
    await expect.poll(async () => (await engineDoc()).nics.length, { timeout: 5000 }).toBe(2);
    await app.screenshot('01-two-vm-lab');
  });

  it('renames inline, refuses a bad name, and undo/redo the rename', async () => {
    const { page } = app;
    await page.getByTestId('name-vm:vm1').dblclick();
    const input = page.getByTestId('rename-input');
    await input.fill('Bad_Name');
    await expect(page.getByRole('alert').first().textContent()).resolves.toMatch(/lower-case/);
    await input.fill('a');
    await input.press('Enter');
    await page.getByTestId('node-vm:a').waitFor();
    await page.getByTestId('edge-nic:a:lan1').waitFor();
    await app.screenshot('02-renamed');
    await page.getByTestId('undo').click();
    await page.getByTestId('node-vm:vm1').waitFor();
    await page.getByTestId('redo').click();
    await page.getByTestId('node-vm:a').waitFor();
    // Undo once more so the shared helper below can name both VMs the way the VM spec does.
    await page.getByTestId('undo').click();
    await page.getByTestId('node-vm:vm1').waitFor();
  });

  it('shows the NIC in the inspector with its guest and host names, and sets an IP', async () => {
    const { page } = app;
    await nameAndAddress(page);
    await page.getByTestId('hit-nic:a:lan1').click({ modifiers: ['Shift'], force: true });
    await page.getByTestId('inspector').getByText('NIC a ⟷ lan1').waitFor();
    await expect(page.getByTestId('nic-guest-name').textContent()).resolves.toBe('eth0');
    await expect(page.getByTestId('inspector').textContent()).resolves.toContain('a.lan1');
    await expect(page.getByTestId('nic-ip').inputValue()).resolves.toBe('10.0.0.1/24');
    await app.screenshot('03-inspector');
  });

  it('clicking a cable pulls it (dashed) and clicking again re-plugs it, on a stopped lab', async () => {
    const { page } = app;
    const edge = page.getByTestId('edge-nic:a:lan1');
    await page.getByTestId('hit-nic:a:lan1').click({ force: true });
    await expect.poll(() => edge.getAttribute('data-link')).toBe('down');
    await expect.poll(async () => (await app.mode.engine.invoke('lab.current', {}))!.document.nics.find((n) => n.vm === 'a')?.link).toBe('down');
    await app.screenshot('04-cable-pulled');
    await page.getByTestId('hit-nic:a:lan1').click({ force: true });
    await expect.poll(() => edge.getAttribute('data-link')).toBe('up');
  });

  it('deletes a selected cable with Delete and undo brings it back', async () => {
    const { page } = app;
    await page.getByTestId('hit-nic:b:lan1').click({ modifiers: ['Shift'], force: true });
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('edge-nic:b:lan1').count()).toBe(0);
    await page.getByTestId('undo').click();
    await page.getByTestId('edge-nic:b:lan1').waitFor();
  });

  it('moves a node by dragging, snapped to the grid, and one undo puts it back', async () => {
    const { page } = app;
    const position = async () => (await app.mode.engine.invoke('lab.current', {}))!.document.vms.find((v) => v.name === 'b')!.position;
    await expect.poll(position).toBeDefined();
    const before = await position();
    const node = await centreOf(page, 'node-vm:b');
    await dragMouse(page, { x: node.x + 40, y: node.y + 10 }, { x: node.x + 143, y: node.y + 71 });
    await expect.poll(async () => (await position()).x, { timeout: 5000 }).not.toBe(before.x);
    const after = await position();
    expect(after.x % 20).toBe(0);
    expect(after.y % 20).toBe(0);
    await page.getByTestId('undo').click();
    await expect.poll(position, { timeout: 5000 }).toEqual(before);
  });

  it('shows a problem from the engine on the cable it concerns and in the problems list', async () => {
    const { page } = app;
    // Two NICs with one MAC on one bridge: the engine's validator warns (frames would be misdelivered).
    for (const vm of ['a', 'b']) {
      await page.getByTestId(`hit-nic:${vm}:lan1`).click({ modifiers: ['Shift'], force: true });
      await page.getByTestId('nic-mac').fill('52:54:00:aa:bb:cc');
      await page.getByTestId('nic-mac').press('Enter');
    }
    await expect.poll(() => page.getByTestId('problems').textContent(), { timeout: 5000 }).toMatch(/0 error\(s\), 1 warning\(s\).*nics\[1\]\.mac/);
    await expect.poll(() => page.getByTestId('edge-nic:b:lan1').getAttribute('class')).toMatch(/has-warning/);
    // Warnings do not block starting; errors would.
    await expect(page.getByTestId('lab-start').isDisabled()).resolves.toBe(false);
    await app.screenshot('05-problem-on-edge');
    await page.getByTestId('nic-mac').fill('');
    await page.getByTestId('nic-mac').press('Enter');
    await expect.poll(() => page.getByTestId('problems').textContent(), { timeout: 5000 }).toBe('No problems');
  });

  it('saves to a typed path (browser mode) and the file is a valid lab', async () => {
    const { page } = app;
    const target = join(lab.dir, 'saved.lab.json');
    await page.getByTestId('save-as').click();
    await page.getByTestId('path-input').fill(target);
    await page.getByTestId('path-ok').click();
    await expect.poll(() => page.getByTestId('dirty').count()).toBe(0);
    const saved = parseLab(readFileSync(target, 'utf8'));
    expect(saved.ok).toBe(true);
    if (!saved.ok) return;
    expect(saved.lab.vms.map((v) => v.name).sort()).toEqual(['a', 'b']);
    expect(saved.lab.nics.map((n) => `${n.vm}:${n.bridge}:${n.ip}:${n.link}`).sort()).toEqual(['a:lan1:10.0.0.1/24:up', 'b:lan1:10.0.0.2/24:up']);
    await app.screenshot('06-saved');
  });

  it('refuses a wrong token', async () => {
    const chromium = await launchChromium();
    try {
      const page = await chromium.context.newPage();
      await page.goto(`${app.mode.server.origin}/?token=not-the-token`);
      await page.getByTestId('fatal').waitFor();
      await expect(page.getByTestId('fatal').textContent()).resolves.toMatch(/refused the token/);
      await page.screenshot({ path: join(SCREENSHOTS, '07-wrong-token.png') });
    } finally {
      await chromium.close();
    }
  });
});
