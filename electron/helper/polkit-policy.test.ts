/**
 * The polkit policy is checked with xmllint: well-formed, and holding the elements polkit
 * needs. Not against polkit's DTD: it is fetched from freedesktop.org and not available offline
 * (hence --nonet), so the required structure is asserted with XPath instead.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './test-support/system.js';

const POLICY = resolve(REPO_ROOT, 'assets/polkit/org.wirebench.helper.policy');
const ACTION = '/policyconfig/action[@id="org.wirebench.helper"]';

function xpath(expression: string): string {
  return execFileSync('xmllint', ['--nonet', '--xpath', expression, POLICY], { encoding: 'utf8' }).trim();
}

describe('polkit policy', () => {
  it('is well-formed XML', () => {
    expect(() => execFileSync('xmllint', ['--noout', '--nonet', POLICY], { stdio: 'pipe' })).not.toThrow();
  });

  it('declares exactly the helper action, with a description and a message', () => {
    expect(xpath('count(/policyconfig/action)')).toBe('1');
    expect(xpath(`string(${ACTION}/@id)`)).toBe('org.wirebench.helper');
    expect(xpath(`string(${ACTION}/description)`)).not.toBe('');
    expect(xpath(`string(${ACTION}/message)`)).not.toBe('');
    expect(xpath('string(/policyconfig/vendor)')).toBe('Wirebench');
  });

  it('asks for an administrator once and keeps the authorization', () => {
    for (const when of ['allow_any', 'allow_inactive', 'allow_active']) {
      expect(xpath(`string(${ACTION}/defaults/${when})`)).toBe('auth_admin_keep');
    }
  });

  it('names the installed helper as the program pkexec may run', () => {
    expect(xpath(`string(${ACTION}/annotate[@key="org.freedesktop.policykit.exec.path"])`)).toBe('/usr/lib/wirebench/wirebench-helper');
  });
});
