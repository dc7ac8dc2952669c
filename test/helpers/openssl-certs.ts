/**
 * Certificates made by the real `openssl` command (OpenSSL 3), for the import tests: a test CA, leaf
 * certificates with chosen names, key types and extensions, and PKCS#12 files as `openssl pkcs12 -export`
 * writes them. Everything goes into the directory given; nothing is cached.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export async function openssl(args: readonly string[], input?: string): Promise<string> {
  const child = execFileAsync('openssl', [...args], { encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return stdout;
}

export interface MadeCa {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A self-signed CA (ECDSA P-256) named `commonName`. */
export async function makeTestCa(dir: string, name: string, commonName = 'Homegate Test Root'): Promise<MadeCa> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '30',
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { certFile, keyFile };
}

export interface LeafOptions {
  /** SAN entries: DNS names and IP literals; none means no subjectAltName extension at all. */
  readonly names: readonly string[];
  readonly commonName?: string;
  /** Signed by this CA; self-signed when absent. */
  readonly ca?: MadeCa;
  readonly keyType?: 'ec' | 'rsa' | 'ed25519';
  readonly days?: number;
  /** extendedKeyUsage value; serverAuth by default. */
  readonly extendedKeyUsage?: string;
}

export interface MadeLeaf {
  readonly certFile: string;
  readonly keyFile: string;
  /** The leaf followed by its CA (when it has one). */
  readonly chainFile: string;
}

/** A TLS server certificate and its key (PKCS#8 PEM), made with `openssl req` / `openssl x509 -req`. */
export async function makeLeaf(dir: string, name: string, options: LeafOptions): Promise<MadeLeaf> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  const chainFile = join(dir, `${name}-chain.pem`);
  const csrFile = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  const san = options.names.map((value) => (/^[\d.]+$|:/.test(value) ? `IP:${value}` : `DNS:${value}`)).join(',');
  await writeFile(
    extFile,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${options.extendedKeyUsage ?? 'serverAuth'}`,
      ...(san === '' ? [] : [`subjectAltName=${san}`]),
      '',
    ].join('\n'),
  );
  const keyType = options.keyType ?? 'ec';
  const keyArgs =
    keyType === 'ec'
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : keyType === 'rsa'
        ? ['-newkey', 'rsa:2048']
        : ['-newkey', 'ed25519'];
  const subject = `/CN=${options.commonName ?? options.names[0] ?? 'no-names.example.test'}`;
  await openssl(['req', '-new', ...keyArgs, '-nodes', '-keyout', keyFile, '-out', csrFile, '-subj', subject]);
  const signer = options.ca ? ['-CA', options.ca.certFile, '-CAkey', options.ca.keyFile] : ['-key', keyFile];
  await openssl([
    'x509',
    '-req',
    '-in',
    csrFile,
    ...signer,
    '-days',
    String(options.days ?? 30),
    '-sha256',
    '-extfile',
    extFile,
    '-out',
    certFile,
  ]);
  const chain = (await readFile(certFile, 'utf8')) + (options.ca ? await readFile(options.ca.certFile, 'utf8') : '');
  await writeFile(chainFile, chain);
  return { certFile, keyFile, chainFile };
}

export interface PfxOptions {
  readonly leaf: MadeLeaf;
  readonly passphrase: string;
  /** Extra certificates to include (the CA). */
  readonly extraCertFiles?: readonly string[];
  /** `-legacy`: 3DES/RC2 and a SHA-1 MAC, as older Windows exports. */
  readonly legacy?: boolean;
}

/** A PKCS#12 file written by `openssl pkcs12 -export` (the passphrase goes through a file, not argv). */
export async function makePfx(dir: string, name: string, options: PfxOptions): Promise<string> {
  const pfxFile = join(dir, `${name}.pfx`);
  const passFile = join(dir, `${name}.pass`);
  await writeFile(passFile, `${options.passphrase}\n`, { mode: 0o600 });
  const extra = options.extraCertFiles ?? [];
  const chainArgs: string[] = [];
  if (extra.length > 0) {
    const bundle = join(dir, `${name}-extra.pem`);
    await writeFile(bundle, (await Promise.all(extra.map((file) => readFile(file, 'utf8')))).join(''));
    chainArgs.push('-certfile', bundle);
  }
  await openssl([
    'pkcs12',
    '-export',
    ...(options.legacy ? ['-legacy'] : []),
    '-in',
    options.leaf.certFile,
    '-inkey',
    options.leaf.keyFile,
    ...chainArgs,
    '-passout',
    `file:${passFile}`,
    '-out',
    pfxFile,
  ]);
  return pfxFile;
}
