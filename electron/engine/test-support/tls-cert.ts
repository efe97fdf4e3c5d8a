/** A self-signed certificate for localhost/127.0.0.1, made with openssl for one test run (TLS tests of browser mode). */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function makeCertificate(into: string): { cert: string; key: string } {
  const cert = join(into, 'cert.pem');
  const key = join(into, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}
