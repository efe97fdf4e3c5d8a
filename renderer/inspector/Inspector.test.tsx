// @vitest-environment happy-dom
/**
 * The inspector as a person uses it, over the app's real stores: select a VM, a bridge or a
 * cable, edit a field, see the document change (as one undoable edit queued for the engine) or
 * the problem under the field; undo puts the old value back in the field. The lab actions are a
 * recording double; the console and packet viewer openers are stubs (they need xterm and workers).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { LAB_FORMAT, validateLab, type LabDocument } from '../../shared/lab.js';
import type { LabChange } from '../../shared/lab-changes.js';
import { ActionsContext } from '../app/actions-context.js';
import type { LabActions } from '../app/lab-actions.js';
import { labStore } from '../store/lab-store.js';
import { runtimeStore } from '../store/runtime-store.js';
import { useUi } from '../store/ui-store.js';
import { counterHub } from '../store/counter-hub.js';
import { useVmAccel } from '../consoles/vm-accel.js';
import { openConsole } from '../consoles/consoles.js';
import { openBridgeViewer } from '../packets/viewer-actions.js';
import { Inspector } from './Inspector.js';

vi.mock('../consoles/consoles.js', () => ({ openConsole: vi.fn() }));
vi.mock('../packets/viewer-actions.js', () => ({ openBridgeViewer: vi.fn(), openNicViewer: vi.fn() }));

function fixture(): LabDocument {
  const parsed = validateLab({
    format: LAB_FORMAT,
    name: 't',
    bridges: [
      { name: 'lan', position: { x: 0, y: 0 } },
      { name: 'wan', position: { x: 200, y: 0 } },
    ],
    vms: [
      { name: 'a', position: { x: 0, y: 100 } },
      { name: 'b', position: { x: 100, y: 100 } },
    ],
    nics: [
      { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24' },
      { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24', link: 'down' },
    ],
  });
  if (!parsed.ok) throw new Error('fixture is invalid');
  return parsed.lab;
}

const actions = {
  startVm: vi.fn(async () => {}),
  stopVm: vi.fn(async () => {}),
  toggleLink: vi.fn(async () => {}),
  resetCounters: vi.fn(async () => {}),
  capture: vi.fn(async () => {}),
  setImpairments: vi.fn(),
};

/** Shows the inspector with `id` (`vm:a`, `bridge:lan`, `nic:a:lan`) selected. */
function inspect(id: string) {
  useUi.setState({ selected: [id] });
  return render(
    <ActionsContext.Provider value={actions as unknown as LabActions}>
      <Inspector />
    </ActionsContext.Provider>,
  );
}

const doc = () => labStore.getState().document!;
const vmA = () => doc().vms.find((v) => v.name === 'a');
const nicA = () => doc().nics.find((n) => n.vm === 'a' && n.bridge === 'lan')!;
const lastUnsent = (): LabChange | undefined => labStore.getState().unsent.at(-1);
/** A field by the start of its label (the label also holds the hint or the problem). */
const field = (label: string) => screen.getByLabelText(new RegExp(`^${label.replace(/[()/]/g, '\\$&')}`)) as HTMLInputElement | HTMLTextAreaElement;
const problemOf = (input: HTMLElement) => within(input.closest('label')!).queryByRole('alert')?.textContent ?? null;
const type = (input: HTMLElement, value: string) => fireEvent.change(input, { target: { value } });
const enter = (input: HTMLElement, ctrlKey = false) => fireEvent.keyDown(input, { key: 'Enter', ctrlKey });
const undo = () => act(() => labStore.getState().undo());

beforeEach(() => {
  labStore.getState().load({ path: null, document: fixture(), revision: 1 });
  runtimeStore.getState().reset();
  useVmAccel.setState({ vms: {} });
  counterHub.clear();
  vi.clearAllMocks();
});
afterEach(cleanup);

describe('VmInspector', () => {
  it('edits the CPUs as one queued, undoable change; undo puts the old value back in the field', () => {
    inspect('vm:a');
    const cpus = field('CPUs');
    expect(cpus.value).toBe('1');
    type(cpus, '4');
    enter(cpus);
    expect(vmA()!.cpus).toBe(4);
    expect(lastUnsent()).toEqual({ kind: 'vm.update', name: 'a', patch: { cpus: 4 } });
    expect(labStore.getState().dirty).toBe(true);
    undo();
    expect(vmA()!.cpus).toBe(1);
    expect(field('CPUs').value).toBe('1');
  });

  it('shows an invalid value\'s problem under its own field and changes nothing', () => {
    inspect('vm:a');
    const memory = field('Memory (MiB)');
    type(memory, '32');
    expect(problemOf(memory)).toBe('must be 64–65536 MiB');
    expect(problemOf(field('CPUs'))).toBeNull();
    enter(memory);
    fireEvent.blur(memory);
    expect(vmA()!.memoryMiB).toBe(fixture().vms[0]!.memoryMiB);
    expect(labStore.getState().unsent).toEqual([]);
  });

  it('renames the VM, keeps it selected under its new name, and refuses a name in use', () => {
    inspect('vm:a');
    const name = field('Name');
    type(name, 'b');
    expect(problemOf(name)).toMatch(/"b"/);
    type(name, 'router');
    enter(name);
    expect(doc().vms.map((v) => v.name)).toEqual(['router', 'b']);
    expect(useUi.getState().selected).toEqual(['vm:router']);
    expect(screen.getByRole('heading', { name: 'VM router' })).toBeTruthy();
  });

  it('edits routes line by line: a malformed line and a gateway off every subnet are shown with their line; Ctrl+Enter commits', () => {
    inspect('vm:a');
    const routes = field('Routes');
    type(routes, 'default via 10.0.0.254\n10.2.0.0/24');
    expect(problemOf(routes)).toMatch(/^line 2: write "DESTINATION via GATEWAY"/);
    type(routes, 'default via 10.0.0.254\n10.2.0.0/24 via 192.168.9.1');
    expect(problemOf(routes)).toMatch(/^line 2 \(via\): /);
    type(routes, 'default via 10.0.0.254\n10.2.0.0/24 via 10.0.0.3');
    expect(problemOf(routes)).toBeNull();
    enter(routes, true);
    expect(vmA()!.routes).toEqual([
      { to: 'default', via: '10.0.0.254' },
      { to: '10.2.0.0/24', via: '10.0.0.3' },
    ]);
    undo();
    expect(vmA()!.routes).toBeUndefined();
    expect(field('Routes').value).toBe('');
  });

  it('turns forwarding on and off with its checkbox', () => {
    inspect('vm:a');
    const box = screen.getByLabelText(/^Forwarding/) as HTMLInputElement;
    fireEvent.click(box);
    expect(lastUnsent()).toEqual({ kind: 'vm.update', name: 'a', patch: { forwarding: true } });
    expect((screen.getByLabelText(/^Forwarding/) as HTMLInputElement).checked).toBe(true);
    fireEvent.click(screen.getByLabelText(/^Forwarding/));
    expect(vmA()!.forwarding).toBeUndefined();
  });

  it('offers Start for a stopped VM and opens its console', () => {
    inspect('vm:a');
    expect(screen.getByText('stopped')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Start VM' }));
    expect(actions.startVm).toHaveBeenCalledWith('a');
    fireEvent.click(screen.getByRole('button', { name: 'Open console' }));
    expect(openConsole).toHaveBeenCalledWith('a');
    expect(screen.queryByTestId('vm-accel')).toBeNull();
  });

  it('shows a running VM\'s accelerator line and hint, and offers Stop', () => {
    const hint = 'KVM is there but QEMU\'s user may not open /dev/kvm: add it to the kvm group';
    act(() => {
      runtimeStore.getState().setVmState('a', 'running', null);
      useVmAccel.setState({ vms: { a: { accel: 'tcg', hint } } });
    });
    inspect('vm:a');
    expect(screen.getByText('running')).toBeTruthy();
    expect(screen.getByTestId('vm-accel').textContent).toBe('Accelerator: TCG (software emulation, slower)');
    expect(screen.getByTestId('vm-accel-hint').textContent).toBe(hint);
    fireEvent.click(screen.getByRole('button', { name: 'Stop VM' }));
    expect(actions.stopVm).toHaveBeenCalledWith('a');
    // While the guest gets its power button, a person may quit it at once.
    act(() => runtimeStore.getState().setVmState('a', 'stopping', 'power button pressed; quitting in 30 s unless the guest powers off'));
    expect(screen.getByText('power button pressed; quitting in 30 s unless the guest powers off')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Force stop' }));
    expect(actions.stopVm).toHaveBeenCalledWith('a', { force: true });
    act(() => runtimeStore.getState().setVmState('a', 'running', null));
    // A failed startup command is shown on the VM until it starts again.
    act(() => runtimeStore.getState().addVmAlert('a', 'VM "a": startup command 0 ("false") failed with exit code 1 (vms[0].startup[0])'));
    expect(screen.getByTestId('vm-alerts').textContent).toContain('startup command 0 ("false") failed with exit code 1');
    act(() => runtimeStore.getState().setVmState('a', 'starting', null));
    expect(screen.queryByTestId('vm-alerts')).toBeNull();
    act(() => runtimeStore.getState().setVmState('a', 'running', null));
    act(() => useVmAccel.setState({ vms: { a: { accel: 'kvm', hint: null } } }));
    expect(screen.getByTestId('vm-accel').textContent).toBe('Accelerator: KVM (hardware)');
    expect(screen.queryByTestId('vm-accel-hint')).toBeNull();
  });

  it('shows why a VM crashed', () => {
    act(() => runtimeStore.getState().setVmState('a', 'crashed', 'qemu exited with code 1\nkernel panic'));
    inspect('vm:a');
    expect(screen.getByText(/kernel panic/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Start VM' })).toBeTruthy();
  });
});

describe('NicInspector', () => {
  it('shows where the NIC lives on the host', () => {
    inspect('nic:a:lan');
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('NIC a ⟷ lan');
    expect(screen.getByTestId('nic-guest-name').textContent).toBe('eth0');
    expect(screen.getByText('cable plugged')).toBeTruthy();
  });

  it('edits the address; an invalid one shows its problem under the field; undo restores it', () => {
    inspect('nic:a:lan');
    const ip = field('IPv4 address');
    type(ip, '10.0.0.300/24');
    expect(problemOf(ip)).not.toBeNull();
    enter(ip);
    expect(nicA().ip).toBe('10.0.0.1/24');
    type(ip, '10.0.0.9/24');
    enter(ip);
    expect(lastUnsent()).toEqual({ kind: 'nic.update', vm: 'a', bridge: 'lan', patch: { ip: '10.0.0.9/24' } });
    undo();
    expect(nicA().ip).toBe('10.0.0.1/24');
    expect(field('IPv4 address').value).toBe('10.0.0.1/24');
  });

  it('clears the address when the field is emptied, and checks the MTU range', () => {
    inspect('nic:a:lan');
    const ip = field('IPv4 address');
    type(ip, '');
    fireEvent.blur(ip);
    expect(nicA().ip).toBeUndefined();
    const mtu = field('MTU');
    type(mtu, '9001');
    expect(problemOf(mtu)).toBe('must be 68–9000');
    type(mtu, '1400');
    enter(mtu);
    expect(nicA().mtu).toBe(1400);
  });

  it('hands impairments to the lab actions, and refuses what is not a number', () => {
    inspect('nic:a:lan');
    const delay = field('Delay (ms)');
    type(delay, 'soon');
    expect(problemOf(delay)).toBe('write a number, or leave empty for none');
    enter(delay);
    expect(actions.setImpairments).not.toHaveBeenCalled();
    type(delay, '50');
    enter(delay);
    expect(actions.setImpairments).toHaveBeenCalledWith({ vm: 'a', bridge: 'lan' }, { delayMs: 50 });
    const loss = field('Loss (%)');
    type(loss, '150');
    expect(problemOf(loss)).not.toBeNull();
  });

  it('pulls and re-plugs the cable through the lab actions', () => {
    inspect('nic:b:lan');
    expect(screen.getByText('cable unplugged')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
    expect(actions.toggleLink).toHaveBeenCalledWith({ vm: 'b', bridge: 'lan' });
  });
});

describe('BridgeInspector', () => {
  it('renames the bridge (its NICs follow, it stays selected) and refuses a name no interface can carry', () => {
    inspect('bridge:lan');
    const name = field('Name');
    type(name, 'Bad Name');
    expect(problemOf(name)).toMatch(/cannot become an interface/);
    type(name, 'core');
    enter(name);
    expect(lastUnsent()).toEqual({ kind: 'bridge.update', name: 'lan', patch: { name: 'core' } });
    expect(doc().nics.map((n) => n.bridge)).toEqual(['core', 'core']);
    expect(useUi.getState().selected).toEqual(['bridge:core']);
    undo();
    expect(doc().bridges.map((b) => b.name)).toEqual(['lan', 'wan']);
  });

  it('lists its NICs, shows live traffic, and opens a capture of the whole bridge', async () => {
    inspect('bridge:lan');
    const nics = within(screen.getByText('NICs on this bridge').nextElementSibling as HTMLElement).getAllByRole('listitem');
    expect(nics.map((li) => li.textContent?.trim())).toEqual(['a 10.0.0.1/24', 'b 10.0.0.2/24 (unplugged)']);
    const traffic = screen.getByText('Traffic (sum of NICs)').nextElementSibling!;
    expect(traffic.textContent).toBe('—');
    act(() =>
      counterHub.ingest(1_000, [
        { vm: 'a', bridge: 'lan', counters: { rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0, errors: 0 }, rates: { rx_bps: 8_000, tx_bps: 2_000_000, rx_pps: 1, tx_pps: 1 } },
      ]),
    );
    await vi.waitFor(() => expect(traffic.textContent).toBe('↓8 kbit/s ↑2 Mbit/s'));
    fireEvent.click(screen.getByRole('button', { name: 'Capture whole bridge…' }));
    expect(openBridgeViewer).toHaveBeenCalledWith('lan');
  });

  it('says so when nothing is cabled to it', () => {
    inspect('bridge:wan');
    expect(screen.getByText('none yet')).toBeTruthy();
  });
});

describe('Inspector', () => {
  it('asks for a selection, and counts a multiple one', () => {
    useUi.setState({ selected: [] });
    render(
      <ActionsContext.Provider value={actions as unknown as LabActions}>
        <Inspector />
      </ActionsContext.Provider>,
    );
    expect(screen.getByText(/Select a VM, a bridge or a cable/)).toBeTruthy();
    act(() => useUi.setState({ selected: ['vm:a', 'vm:b'] }));
    expect(screen.getByText('2 items selected.')).toBeTruthy();
  });
});
