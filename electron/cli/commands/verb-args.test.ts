import { describe, expect, it } from 'vitest';
import { parseCaptureArgs, parseConsoleArgs, parseCountersArgs, parseExecArgs, parseLinkArgs, parseStatusArgs, UsageError } from './verb-args.js';

describe('lab verb arguments', () => {
  it('status and console take the lab file (and the VM)', () => {
    expect(parseStatusArgs(['lab.json'])).toEqual({ file: 'lab.json' });
    expect(parseConsoleArgs(['lab.json', 'a'])).toEqual({ file: 'lab.json', vm: 'a' });
    expect(() => parseStatusArgs([])).toThrow('status takes FILE (got none)');
    expect(() => parseConsoleArgs(['lab.json'])).toThrow('console takes FILE VM (got 1: lab.json)');
    expect(() => parseConsoleArgs(['lab.json', 'a', 'b'])).toThrow(UsageError);
    expect(() => parseStatusArgs(['--verbose', 'lab.json'])).toThrow('status: unknown option --verbose');
  });

  it('exec: the words after -- are the guest command, options before it', () => {
    expect(parseExecArgs(['lab.json', 'a', '--', 'uname', '-a'])).toEqual({ file: 'lab.json', vm: 'a', command: 'uname -a' });
    expect(parseExecArgs(['lab.json', 'a', '--timeout', '5', '--', 'ping', '-c', '1', 'b'])).toEqual({ file: 'lab.json', vm: 'a', command: 'ping -c 1 b', timeoutMs: 5000 });
    expect(parseExecArgs(['-t', '0.5', 'lab.json', 'a', '--', 'false'])).toEqual({ file: 'lab.json', vm: 'a', command: 'false', timeoutMs: 500 });
    // A -- inside the command belongs to it.
    expect(parseExecArgs(['lab.json', 'a', '--', 'echo', '--', 'x'])).toEqual({ file: 'lab.json', vm: 'a', command: 'echo -- x' });
    // Without --, whatever follows the VM is the command, options and all.
    expect(parseExecArgs(['lab.json', 'a', 'ls', '-l', '/'])).toEqual({ file: 'lab.json', vm: 'a', command: 'ls -l /' });
  });

  it('exec: says what is missing or wrong', () => {
    expect(() => parseExecArgs(['lab.json', 'a'])).toThrow('exec needs a command after --');
    expect(() => parseExecArgs(['lab.json', 'a', '--'])).toThrow('exec needs a command after --');
    expect(() => parseExecArgs(['lab.json', '--', 'true'])).toThrow('exec takes FILE VM -- COMMAND… (got lab.json before the command)');
    expect(() => parseExecArgs(['lab.json', 'a', '--timeout'])).toThrow('exec: --timeout needs a value');
    expect(() => parseExecArgs(['lab.json', 'a', '--timeout', 'soon', '--', 'true'])).toThrow('--timeout must be 0.1–600 seconds, got "soon"');
    expect(() => parseExecArgs(['-x', 'lab.json', 'a', '--', 'true'])).toThrow('exec: unknown option -x');
  });

  it('capture: a NIC by VM and name, or a whole bridge; -w and -f in any place', () => {
    expect(parseCaptureArgs(['lab.json', 'a', 'eth0'])).toEqual({ file: 'lab.json', target: { vm: 'a', nic: 'eth0' } });
    expect(parseCaptureArgs(['lab.json', 'a', 'lan', '-w', 'out.pcap'])).toEqual({ file: 'lab.json', target: { vm: 'a', nic: 'lan' }, write: 'out.pcap' });
    expect(parseCaptureArgs(['-f', 'icmp', 'lab.json', 'a', 'enp0s1', '--write', 'x.pcap'])).toEqual({ file: 'lab.json', target: { vm: 'a', nic: 'enp0s1' }, write: 'x.pcap', filter: 'icmp' });
    expect(parseCaptureArgs(['lab.json', '--bridge', 'lan'])).toEqual({ file: 'lab.json', target: { bridge: 'lan' } });
    // -w - is stdout, as in tcpdump.
    expect(parseCaptureArgs(['lab.json', 'a', 'eth0', '-w', '-'])).toEqual({ file: 'lab.json', target: { vm: 'a', nic: 'eth0' } });
    expect(() => parseCaptureArgs(['lab.json', 'a'])).toThrow('capture takes FILE VM NIC (got 2: lab.json a)');
    expect(() => parseCaptureArgs(['lab.json', 'a', '--bridge', 'lan'])).toThrow('capture --bridge takes FILE (got 2: lab.json a)');
    expect(() => parseCaptureArgs(['lab.json', 'a', 'eth0', '-w'])).toThrow('capture: -w needs a value');
  });

  it('link: the cable is up or down', () => {
    expect(parseLinkArgs(['lab.json', 'a', 'eth0', 'down'])).toEqual({ file: 'lab.json', vm: 'a', nic: 'eth0', state: 'down' });
    expect(parseLinkArgs(['lab.json', 'a', 'lan', 'up'])).toEqual({ file: 'lab.json', vm: 'a', nic: 'lan', state: 'up' });
    expect(() => parseLinkArgs(['lab.json', 'a', 'lan', 'off'])).toThrow('link: the cable is "up" or "down", not "off"');
    expect(() => parseLinkArgs(['lab.json', 'a', 'down'])).toThrow('link takes FILE VM NIC up|down');
  });

  it('counters: FILE, then optionally a VM and one of its NICs', () => {
    expect(parseCountersArgs(['lab.json'])).toEqual({ file: 'lab.json' });
    expect(parseCountersArgs(['lab.json', 'a'])).toEqual({ file: 'lab.json', vm: 'a' });
    expect(parseCountersArgs(['lab.json', 'a', 'eth0'])).toEqual({ file: 'lab.json', vm: 'a', nic: 'eth0' });
    expect(() => parseCountersArgs([])).toThrow('counters takes FILE [VM [NIC]] (got nothing)');
    expect(() => parseCountersArgs(['lab.json', 'a', 'eth0', 'x'])).toThrow(UsageError);
  });
});
