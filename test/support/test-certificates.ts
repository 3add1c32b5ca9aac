import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CA, a server certificate it signed, and a CA that signed nothing of the server's: file paths. */
export interface TestCertificates {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Trusting only this one must fail. */
  otherCaFile: string;
  remove(): void;
}

/**
 * Makes test certificates with openssl in a temporary directory, valid for a day. `altName` is
 * the server certificate's subjectAltName, e.g. `IP:127.0.0.1` or `DNS:localhost`.
 */
export function makeCertificates(altName: string): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'taskwire-tls-'));
  const openssl = (...args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=taskwire-test-ca');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${altName.replace(/^\w+:/, '')}`);
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${altName}\n`);
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'ext.cnf');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '1', '-subj', '/CN=some-other-ca');
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    otherCaFile: join(dir, 'other.crt'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
