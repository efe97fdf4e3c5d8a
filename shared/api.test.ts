/**
 * The typed client is derived from the `commands` table: one method per channel, named by it,
 * called with the channel's params and resolving to its result as they are.
 */
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { channelParts, commands, createLabApi, type Channel, type CommandResult, type LabApi } from './api.js';

const channels = Object.keys(commands) as Channel[];

describe('the commands table', () => {
  it('names every channel `group.method`, so the client can be derived from it', () => {
    for (const channel of channels) expect(channel).toMatch(/^[a-z]+\.[A-Za-z]+$/);
  });

  it('has no command where the client keeps something that is no command', () => {
    expect(channels).not.toContain('capture.stream');
    expect(channels.map((c) => channelParts(c)[0])).not.toContain('onEvent');
  });
});

describe('createLabApi', () => {
  const invoke = vi.fn(async (channel: Channel, params: unknown) => ({ channel, params }));
  const api = createLabApi(invoke as never, () => () => {});

  it('has exactly one method per command, which invokes that command with the params as given and returns its result as is', async () => {
    const methods = Object.entries(api)
      .filter(([group]) => group !== 'onEvent')
      .flatMap(([group, members]) => Object.keys(members as object).map((method) => `${group}.${method}`))
      .filter((name) => name !== 'capture.stream');
    expect(methods.sort()).toEqual([...channels].sort());
    for (const channel of channels) {
      const [group, method] = channelParts(channel);
      const call = (api as unknown as Record<string, Record<string, (p: unknown) => Promise<unknown>>>)[group]![method]!;
      await expect(call({ marker: channel })).resolves.toEqual({ channel, params: { marker: channel } });
    }
  });

  it('sends `{}` for a command called without params', async () => {
    await api.lab.up();
    expect(invoke).toHaveBeenLastCalledWith('lab.up', {});
    await api.lab.save();
    expect(invoke).toHaveBeenLastCalledWith('lab.save', {});
  });

  it('types each method by its schemas', () => {
    expectTypeOf(api.lab.open).parameters.toEqualTypeOf<[params: { path: string }]>();
    expectTypeOf(api.lab.create).returns.resolves.toEqualTypeOf<CommandResult<'lab.create'>>();
    expectTypeOf(api.nic.findByMac).returns.resolves.toEqualTypeOf<{ nics: CommandResult<'nic.info'>[] }>();
    expectTypeOf(api.capture.stream).toEqualTypeOf<LabApi['capture']['stream']>();
    // @ts-expect-error a command with required params cannot be called without them
    void (() => api.vm.start());
  });

  it('refuses capture streams on a transport that carries none', () => {
    expect(() => api.capture.stream('cap-1', { data: () => {}, end: () => {} })).toThrow(/does not carry capture bytes/);
  });
});
