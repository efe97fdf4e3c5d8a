/**
 * The packet viewer in Debian Chromium against browser mode with real guests: open a capture
 * from the cable's context menu, ping, watch ICMP rows arrive, inspect the tree and its bytes,
 * filter, stop, save (tshark reads the file back), and the error paths (bad display filter,
 * bad BPF). Needs root, QEMU and the tiny guest (`make setup`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../shared/host-names.js';
import { serializeLab } from '../shared/lab.js';
import { twoVmLab } from '../electron/engine/test-support/system-lab.js';
import { udpRecords, writePcap } from '../packet/node.js';
import { downAndClose, startApp, type AppUnderTest } from './support/app-under-test.js';
import { missingChromium, missingLabHost, skipWhenMissing } from './support/prerequisites.js';

const skip = skipWhenMissing('e2e/packets.spec.ts', missingChromium(), missingLabHost());

describe.skipIf(skip)('packet viewer with real guests', () => {
  let app: AppUnderTest;
  // Spread out so the cables are clickable (the default position of everything is 0,0).
  const lab = twoVmLab({
    bridges: [{ name: 'lan', position: { x: 300, y: 300 } }],
    vms: [
      { name: 'a', position: { x: 0, y: 0 } },
      { name: 'b', position: { x: 600, y: 0 } },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'wb-e2e-packets-'));
  const run = (vm: string, command: string) => app.mode.engine.invoke('vm.run', { vm, command, timeoutMs: 30_000 });

  beforeAll(async () => {
    const file = join(dir, 'packets.lab.json');
    writeFileSync(file, serializeLab(lab));
    app = await startApp({ file });
    await app.mode.engine.invoke('lab.up', {});
  }, 180_000);

  afterAll(() => downAndClose(app, namespaceName(lab)), 120_000);

  it('opens a capture on a/eth0 from the cable and shows ICMP rows as a pings b', async () => {
    const { page } = app;
    await app.screenshot('packets-00-lab');
    await page.getByTestId('hit-nic:a:lan').click({ button: 'right', force: true });
    await page.getByTestId('menu-capture').click();
    await page.getByTestId('capture-start').click();
    await expect.poll(() => page.getByTestId('viewer-tab').first().textContent(), { timeout: 30_000 }).toContain('a/eth0 (lan)');
    expect((await run('a', 'ping -c 4 -i 0.3 -W 2 b.lan >/dev/null 2>&1')).exitCode).toBe(0);
    const icmpRows = page.locator('[data-testid="packet-row"][data-protocol="ICMP"]');
    // The worker loads ~70 MB of WebAssembly on first use; after that rows arrive within 500 ms.
    await expect.poll(() => icmpRows.count(), { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(8);
    await app.screenshot('packets-01-live-icmp');
  }, 120_000);

  it('shows the protocol tree of a selected packet and highlights the bytes of a field', async () => {
    const { page } = app;
    await page.locator('[data-testid="packet-row"][data-protocol="ICMP"]').first().click();
    const icmp = page.getByTestId('tree-node').filter({ hasText: 'Internet Control Message Protocol' });
    await expect.poll(() => icmp.count(), { timeout: 10_000 }).toBe(1);
    await icmp.click();
    // ICMP covers bytes 34–97 of a 98-byte echo.
    await expect.poll(() => page.locator('[data-testid="hex-byte"].wb-plit').count()).toBe(64);
    expect(await page.locator('[data-testid="hex-byte"].wb-plit').first().getAttribute('data-offset')).toBe('34');
    // And back: clicking the first IPv4 byte selects an IPv4 field.
    await page.locator('[data-testid="hex-byte"][data-offset="14"]').click();
    expect(await page.locator('.wb-pnode.wb-psel').getAttribute('data-filter')).toMatch(/^ip\./);
    await app.screenshot('packets-02-tree-and-bytes');
  }, 60_000);

  it('checks the display filter as you type and filters to ICMP', async () => {
    const { page } = app;
    const input = page.getByTestId('display-filter');
    await input.fill('icmp.type ==');
    await expect.poll(() => input.getAttribute('data-state')).toBe('bad');
    expect(await page.getByTestId('filter-error').textContent()).toMatch(/\w/);
    await app.screenshot('packets-03-bad-filter');
    await input.fill('icm');
    await expect.poll(() => page.getByTestId('filter-completions').textContent()).toContain('icmp');
    await input.fill('icmp');
    await expect.poll(() => input.getAttribute('data-state')).toBe('ok');
    await input.press('Enter');
    await expect.poll(async () => new Set(await page.locator('[data-testid="packet-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-protocol')))), { timeout: 10_000 }).toEqual(new Set(['ICMP']));
    await app.screenshot('packets-04-icmp-filter');
  }, 60_000);

  it('stops, shows kernel drops, and saves a pcapng that tshark reads with the same packet count', async () => {
    const { page } = app;
    await page.getByTestId('capture-stop').click();
    await expect.poll(() => page.getByTestId('capture-status').textContent(), { timeout: 15_000 }).toContain('kernel drops: 0');
    const total = Number(/(\d+) packets/.exec((await page.getByTestId('capture-status').textContent()) ?? '')?.[1]);
    expect(total).toBeGreaterThanOrEqual(8);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('capture-save').click()]);
    const saved = join(dir, 'saved.pcapng');
    await download.saveAs(saved);
    const frames = execFileSync('tshark', ['-r', saved, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(frames).toHaveLength(total);
    expect(execFileSync('capinfos', ['-t', saved], { encoding: 'utf8' })).toMatch(/pcapng/);
    await app.screenshot('packets-05-stopped');
  }, 60_000);

  it('sets the ring size in MiB beside the packet count and shows what it holds and evicted', async () => {
    const { page } = app;
    const mib = page.getByTestId('ring-mib');
    expect(await mib.inputValue()).toBe('512');
    await mib.fill('32');
    // Applied on Enter, not per keystroke ("3" would otherwise clamp to 16 first).
    await mib.press('Enter');
    await expect.poll(() => page.getByTestId('ring-usage').textContent()).toMatch(/^\d+\.\d of 32 MiB · 0 evicted$/);
    expect(await mib.inputValue()).toBe('32');
    expect(await page.getByTestId('ring-packets').inputValue()).toBe('1000000');
  }, 60_000);

  it('shows the engine’s refusal of an invalid BPF capture filter', async () => {
    const { page } = app;
    await page.getByTestId('capture-filter').fill('icmp and and');
    await page.getByTestId('capture-start').click();
    await expect.poll(() => page.getByTestId('viewer-error').textContent(), { timeout: 15_000 }).toMatch(/filter/i);
    await app.screenshot('packets-06-bad-bpf');
  }, 60_000);
  it('opens a 30,000-packet capture file and filters it, helped by a worker on the other core', async () => {
    const { page } = app;
    const file = join(dir, 'big.pcap');
    writeFileSync(file, writePcap(1, udpRecords(30_000)));
    await page.getByTestId('open-capture-file').setInputFiles(file);
    const status = page.getByTestId('capture-status');
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/^30000 packets · 30000 shown/);
    const input = page.getByTestId('display-filter');
    await input.fill('udp.dstport == 53');
    await expect.poll(() => input.getAttribute('data-state')).toBe('ok');
    await input.press('Enter');
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toBe('30000 packets · 3000 shown');
    expect(new Set(await page.locator('[data-testid="packet-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-protocol'))))).toEqual(new Set(['DNS']));
    // The first big filter started the segment helper (a nested Web Worker with its own
    // wiregasm); the next one has it ready and shares the segments with it.
    await input.fill('udp.srcport == 40007');
    await input.press('Enter');
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toBe('30000 packets · 30 shown');
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    if (cores > 1) expect(Number(await status.getAttribute('data-helped'))).toBeGreaterThan(0);
  }, 120_000);
});
