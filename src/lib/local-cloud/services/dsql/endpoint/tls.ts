// The endpoint's certificate authority and server certificate, made once and kept in a folder
// (files mode 0600) so clients can pin the CA across restarts: pg with `ssl: {ca,
// rejectUnauthorized: true}`, psql with `sslmode=verify-full sslrootcert=<ca.pem>`.
// Made with @peculiar/x509 over Node's WebCrypto (no openssl subprocess).
// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

// @peculiar/x509 types its provider with the DOM's Crypto, which Node's WebCrypto implements.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

export interface EndpointCertificates {
  /** PEM of the CA clients must trust (also at `caFile`). */
  ca: string;
  caFile: string;
  key: string;
  cert: string;
}

/**
 * Loads the CA and server certificate from `folder`, making the CA the first time and the server
 * certificate whenever it does not name exactly `names` (DNS names, `*.` wildcards allowed, or IP
 * addresses) — the CA is kept, so clients that trust it keep working.
 */
export async function ensureEndpointCertificates(
  folder: string,
  names: string[],
): Promise<EndpointCertificates> {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const file = (name: string) => join(folder, name);
  const ca =
    (await readPair(file('ca.pem'), file('ca-key.pem'))) ?? (await writePair(folder, 'ca', await makeCa()));
  const wanted = [...new Set(names)].sort();
  const current = await readPair(file('server.pem'), file('server-key.pem'));
  const server =
    current &&
    sameNames(current.cert, wanted) &&
    (await current.cert.verify({ publicKey: ca.cert.publicKey }))
      ? current
      : await writePair(folder, 'server', await makeServerCertificate(ca, wanted));
  return {
    ca: ca.cert.toString('pem'),
    caFile: file('ca.pem'),
    key: server.keyPem,
    cert: server.cert.toString('pem'),
  };
}

interface Pair {
  cert: x509.X509Certificate;
  key: CryptoKey;
  keyPem: string;
}

async function readPair(certFile: string, keyFile: string): Promise<Pair | undefined> {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = readFileSync(certFile, 'utf8');
    keyPem = readFileSync(keyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(keyPem),
    ALGORITHM,
    true,
    ['sign'],
  );
  return { cert: new x509.X509Certificate(certPem), key: key as CryptoKey, keyPem };
}

async function writePair(folder: string, name: string, made: { cert: x509.X509Certificate; key: CryptoKey }) {
  const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', made.key), 'PRIVATE KEY');
  // The key first: a crash between the two writes leaves a certificate-less key, which is remade.
  writeFileSync(join(folder, `${name}-key.pem`), keyPem, { mode: 0o600 });
  writeFileSync(join(folder, `${name}.pem`), made.cert.toString('pem'), { mode: 0o600 });
  return { ...made, keyPem };
}

async function makeCa() {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=dsqlctl local cloud DSQL endpoint CA',
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + TEN_YEARS_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey };
}

async function makeServerCertificate(ca: Pair, names: string[]) {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=dsqlctl local DSQL endpoint',
    issuer: ca.cert.subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + TEN_YEARS_MS),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: isIP(value) ? 'ip' : 'dns', value })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { cert, key: keys.privateKey };
}

function sameNames(cert: x509.X509Certificate, wanted: string[]): boolean {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const have = (san?.names.items ?? []).map((name) => name.value).sort();
  return have.length === wanted.length && have.every((name, index) => name === wanted[index]);
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive, as X.509 requires
  return Buffer.from(bytes).toString('hex');
}
