/**
 * Console helpers for specs and benches: the demo lab under a fresh id, reading a console's
 * terminal through the page's test hooks (`testHooks=1`), typing as a person does, and
 * sampling the page's frame times.
 *
 * Page code is passed as strings: tsx/vitest keep function names with a `__name` helper that
 * the page does not have.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from './app-under-test.js';

interface DemoLab {
  vms: Array<{ name: string }>;
  bridges: Array<{ name: string }>;
  nics: Array<{ vm: string; bridge: string }>;
}

/**
 * assets/labs/demo.lab.json copied under a random id (its own namespace) and `name`;
 * `onlyVms` keeps just those VMs (with their NICs and bridges).
 */
export function demoLabFile(name: string, onlyVms?: string[]): { dir: string; file: string; id: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wb-e2e-'));
  const file = join(dir, `${name}.lab.json`);
  const id = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const demo = JSON.parse(readFileSync(join(ROOT, 'assets', 'labs', 'demo.lab.json'), 'utf8')) as DemoLab & Record<string, unknown>;
  if (onlyVms) {
    demo.vms = demo.vms.filter((v) => onlyVms.includes(v.name));
    demo.nics = demo.nics.filter((n) => onlyVms.includes(n.vm));
    demo.bridges = demo.bridges.filter((b) => demo.nics.some((n) => n.bridge === b.name));
  }
  writeFileSync(file, JSON.stringify({ ...demo, id, name }, null, 2));
  return { dir, file, id };
}

/** Double-clicks the VM's node (not on its name, which renames, nor its ▶/■ button): its console opens. */
export async function openConsoleByDoubleClick(page: Page, vm: string): Promise<void> {
  const node = page.getByTestId(`node-vm:${vm}`);
  const box = await node.boundingBox();
  if (!box) throw new Error(`VM ${vm} is not on the canvas`);
  await node.dblclick({ position: { x: 12, y: box.height - 8 } });
}

/** The page's text of the console status banner, polled until it is `connected` (or the timeout). */
export async function waitConnected(page: Page, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await page.getByTestId('console-status').textContent().catch(() => null)) !== 'connected') {
    if (Date.now() > until) throw new Error(`the console did not connect within ${timeoutMs} ms: ${await page.getByTestId('console-status').textContent().catch(() => 'no status')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * `yes 0123456789abcdef | head -c <bytes>; echo FLOOD-END<tag>` and what its output ends
 * with (`tag` tells one flood's end from an earlier one's still on the screen).
 */
export function floodCommand(bytes: number, tag = ''): { command: string; endMark: string } {
  const line = '0123456789abcdef\n';
  // head cuts the last line short; echo's marker follows on the same line (never in the echoed command).
  return { command: `yes 0123456789abcdef | head -c ${bytes}; echo FLOOD-END${tag}`, endMark: `${line.slice(0, bytes % line.length)}FLOOD-END${tag}` };
}

/** The last `lines` lines of the VM's console terminal (scrollback included). */
export async function consoleText(page: Page, vm: string, lines = 200): Promise<string> {
  return (await page.evaluate(`window.__wirebenchConsoles ? window.__wirebenchConsoles.text(${JSON.stringify(vm)}, ${lines}) : ''`)) as string;
}

/** Resolves with the page's performance.now() when `needle` shows in the last `lines` lines, or null after `timeoutMs`. */
export async function waitInConsole(page: Page, vm: string, needle: string, timeoutMs: number, lines = 50): Promise<number | null> {
  return (await page.evaluate(`window.__wirebenchConsoles.waitFor(${JSON.stringify(vm)}, ${JSON.stringify(needle)}, ${timeoutMs}, ${lines})`)) as number | null;
}

/** Types a command line into the focused console and presses Enter, as a person would. */
export async function typeLine(page: Page, line: string): Promise<void> {
  await page.keyboard.type(line, { delay: 5 });
  await page.keyboard.press('Enter');
}

/**
 * Output of the last run of `command` in a console's text: the lines between the line
 * that echoes it and the next prompt (`<vm># `), or null while that prompt has not come.
 */
export function outputOf(text: string, vm: string, command: string): string | null {
  const lines = text.split('\n');
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.includes(command)) {
      at = i;
      break;
    }
  }
  if (at < 0) return null;
  const out: string[] = [];
  for (let i = at + 1; i < lines.length; i++) {
    if (lines[i]!.startsWith(`${vm}# `) || lines[i] === `${vm}#`) return out.join('\n');
    out.push(lines[i]!);
  }
  return null;
}

/** Starts recording requestAnimationFrame intervals in the page; `stop` returns them (ms). */
export async function startFrameSampler(page: Page): Promise<{ stop(): Promise<number[]> }> {
  await page.evaluate(`(() => {
    const state = { frames: [], last: performance.now(), running: true };
    window.__wbFrames = state;
    const loop = (now) => {
      state.frames.push(now - state.last);
      state.last = now;
      if (state.running) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  })()`);
  return {
    stop: async () => (await page.evaluate(`(() => { window.__wbFrames.running = false; return window.__wbFrames.frames.slice(1); })()`)) as number[],
  };
}
