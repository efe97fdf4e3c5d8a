import { describe, expect, it } from 'vitest';
import { parseServeArgs } from './serve.js';

describe('wirebench serve arguments', () => {
  it('takes an optional FILE, --port and --host in any order', () => {
    expect(parseServeArgs([])).toEqual({});
    expect(parseServeArgs(['lab.json', '--port', '8080', '--host', '0.0.0.0'])).toEqual({ file: 'lab.json', port: 8080, host: '0.0.0.0' });
    expect(parseServeArgs(['--port', '0', 'x.lab.json'])).toEqual({ port: 0, file: 'x.lab.json' });
  });
  it('names the argument that is wrong', () => {
    expect(() => parseServeArgs(['--port'])).toThrow('--port needs a value');
    expect(() => parseServeArgs(['--port', 'http'])).toThrow('--port must be 0–65535, got "http"');
    expect(() => parseServeArgs(['--verbose'])).toThrow('unknown option --verbose');
    expect(() => parseServeArgs(['a.json', 'b.json'])).toThrow('serve takes one FILE');
  });
});
