import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { buildMenuTemplate } from './app-menu.js';

vi.mock('electron', () => ({}));

const labels = (items: MenuItemConstructorOptions[]) => items.filter((i) => i.label).map((i) => i.label!.replace('&', ''));
const submenu = (item: MenuItemConstructorOptions | undefined) => (item?.submenu ?? []) as MenuItemConstructorOptions[];

describe('application menu', () => {
  const send = vi.fn();
  const template = buildMenuTemplate({ send, recent: ['/labs/a.lab.json'], isMac: false, showAbout: vi.fn() });
  const menu = (name: string) => template.find((m) => m.label?.replace('&', '') === name);

  it('has File, Edit, View and Help with the expected items', () => {
    expect(labels(template)).toEqual(['File', 'Edit', 'View', 'Help']);
    expect(labels(submenu(menu('File')))).toEqual(['New', 'Open…', 'Open Recent', 'Open Demo Lab', 'Save', 'Save As…', 'Export…']);
    expect(labels(submenu(menu('Edit')))).toEqual(['Undo', 'Redo']);
  });

  it('forwards document commands to the renderer, recent files with their path', () => {
    const file = submenu(menu('File'));
    (file.find((i) => i.label === 'Save')!.click as () => void)();
    expect(send).toHaveBeenLastCalledWith({ command: 'save' });
    (submenu(file.find((i) => i.label === 'Open Recent'))[0]!.click as () => void)();
    expect(send).toHaveBeenLastCalledWith({ command: 'openRecent', path: '/labs/a.lab.json' });
    (submenu(menu('Edit')).find((i) => i.label === 'Undo')!.click as () => void)();
    expect(send).toHaveBeenLastCalledWith({ command: 'undo' });
  });
});
