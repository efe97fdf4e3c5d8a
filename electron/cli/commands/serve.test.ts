import { describe, expect, it } from 'vitest';
import { parseServeArgs } from './serve.js';

describe('wirebench serve arguments', () => {
  it('takes an optional FILE, --port and --host in any order', () => {
    expect(parseServeArgs([])).toEqual({});
    expect(parseServeArgs(['lab.json', '--port', '8080', '--host', '0.0.0.0', '--expose'])).toEqual({ file: 'lab.json', port: 8080, host: '0.0.0.0', expose: true });
    expect(parseServeArgs(['--tls-cert', 'c.pem', '--tls-key', 'k.pem'])).toEqual({ tlsCert: 'c.pem', tlsKey: 'k.pem' });
    expect(parseServeArgs(['--port', '0', 'x.lab.json'])).toEqual({ port: 0, file: 'x.lab.json' });
  });
  it('names the argument that is wrong', () => {
    expect(() => parseServeArgs(['--port'])).toThrow('--port needs a value');
    expect(() => parseServeArgs(['--port', 'http'])).toThrow('--port must be 0–65535, got "http"');
    expect(() => parseServeArgs(['--verbose'])).toThrow('unknown option --verbose');
    expect(() => parseServeArgs(['a.json', 'b.json'])).toThrow('serve takes one FILE');
    expect(() => parseServeArgs(['--tls-cert', 'c.pem'])).toThrow('--tls-cert needs its partner: give both --tls-cert FILE and --tls-key FILE');
  });
  it('binds beyond loopback only with --expose, and says what a token holder can do', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) expect(parseServeArgs(['--host', host])).toEqual({ host });
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'lab.example.org']) {
      expect(() => parseServeArgs(['--host', host])).toThrow(/add --expose.*127\.0\.0\.1/);
    }
    expect(() => parseServeArgs(['--host', '0.0.0.0'])).toThrow(/run commands as root inside the lab VMs, capture their traffic, start and stop VMs/);
  });
});
