/** `homegate cert ...`: show, import, use-local, regenerate and export-ca for the gateway's TLS certificate. */
import { writeFile } from 'node:fs/promises';
import { prepareImport, readImportFile, type ImportSource } from '../certs/certificate-import.ts';
import {
  describeServedCertificate,
  loadOrCreateCertificates,
  readCaCertificate,
  removeImportedCertificate,
  storeImportedCertificate,
} from '../certs/certificate-store.ts';
import { fingerprintSha256OfDer } from '../certs/fingerprint.ts';
import { CERTIFICATE_KEY_TYPES } from '../certs/local-ca.ts';
import { SettingsStore } from '../config/settings-store.ts';
import type { Settings } from '../config/schema.ts';
import { dataPaths } from '../config/data-dir.ts';
import { CliError, UsageError } from './cli-error.ts';
import type { CommandEnv } from './commands.ts';
import { firstLine } from './output.ts';

type Flags = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** A passphrase file larger than this is the wrong file. */
const MAX_PASSPHRASE_FILE_BYTES = 64 * 1024;

async function withSettings<T>(env: CommandEnv, run: (settings: Settings) => Promise<T>): Promise<T> {
  const store = await SettingsStore.open(env.dataDir, env.logger);
  try {
    return await run(store.get());
  } finally {
    store.close();
  }
}

function optionalString(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${name} needs a value`);
  return value;
}

export async function certShowCommand(env: CommandEnv, flags: Flags): Promise<void> {
  await withSettings(env, async (settings) => {
    const tlsDir = dataPaths(env.dataDir).tls;
    const summary = await describeServedCertificate(tlsDir, { publicNames: settings.publicNames });
    if (!summary) {
      throw new CliError(
        'no certificate yet: `homegate serve` creates one on its first start (or run `homegate cert regenerate`)',
      );
    }
    const ca = await readCaCertificate(tlsDir);
    const caFingerprint = ca ? fingerprintSha256OfDer(ca.raw) : undefined;
    if (flags.json === true) {
      env.io.out(`${JSON.stringify({ ...summary, localCaFingerprintSha256: caFingerprint }, null, 2)}\n`);
      return;
    }
    const daysLeft = Math.floor((summary.notAfter.getTime() - Date.now()) / DAY_MS);
    const names = [...summary.dnsNames.map((name) => `DNS:${name}`), ...summary.ipAddresses.map((ip) => `IP:${ip}`)];
    const lines = [
      ['Source', summary.source === 'imported' ? `imported (${summary.file})` : `local CA (${summary.file})`],
      ['Subject', summary.subject],
      ['Issuer', summary.issuer],
      ['Names (SAN)', names.length === 0 ? '(none)' : names.join(', ')],
      ['SHA-256', summary.fingerprintSha256],
      ['Valid from', summary.notBefore.toISOString()],
      ['Expires', `${summary.notAfter.toISOString()} (${daysLeft < 0 ? 'expired' : `${daysLeft} days left`})`],
      ['Renewal', summary.source === 'imported' ? 'never (imported certificates are not renewed)' : 'automatic'],
      ...(caFingerprint ? [['Local CA SHA-256', caFingerprint]] : []),
    ];
    const width = Math.max(...lines.map(([label]) => (label ?? '').length));
    for (const [label, value] of lines) env.io.out(`${`${label}:`.padEnd(width + 2)}${value}\n`);
    for (const warning of summary.warnings) env.io.err(`warning: ${warning}\n`);
  });
}

export async function certImportCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const certPath = optionalString(flags, 'cert');
  const keyPath = optionalString(flags, 'key');
  const pfxPath = optionalString(flags, 'pfx');
  const passphraseFile = optionalString(flags, 'passphrase-file');
  if ((certPath === undefined) === (pfxPath === undefined)) {
    throw new UsageError('give either --cert FILE [--key FILE] or --pfx FILE');
  }
  if (pfxPath !== undefined && keyPath !== undefined) throw new UsageError('--key goes with --cert, not with --pfx');

  let source: ImportSource;
  if (pfxPath !== undefined) {
    const file = await readImportFile(pfxPath);
    const passphrase = await readPassphrase(env, passphraseFile, `Passphrase for ${pfxPath}: `);
    source = { kind: 'pfx', file, passphrase };
  } else {
    const cert = await readImportFile(certPath as string);
    const key = keyPath === undefined ? undefined : await readImportFile(keyPath);
    // A PEM key is usually not encrypted; read a passphrase only when one is offered.
    const passphrase =
      passphraseFile === undefined ? undefined : await readPassphrase(env, passphraseFile, 'Key passphrase: ');
    source = {
      kind: 'pem',
      cert,
      ...(key ? { key } : {}),
      ...(passphrase === undefined ? {} : { passphrase }),
    };
  }

  await withSettings(env, async (settings) => {
    const prepared = prepareImport(source, { publicNames: settings.publicNames, now: new Date() });
    await storeImportedCertificate(dataPaths(env.dataDir).tls, prepared, { logger: env.logger });
    const names = [...prepared.names.dnsNames, ...prepared.names.ipAddresses].join(', ');
    env.io.out(
      `imported ${prepared.leaf.subject.replaceAll('\n', ', ')} (${names})\n` +
        `SHA-256 ${fingerprintSha256OfDer(prepared.leaf.raw)}, valid until ${new Date(prepared.leaf.validTo).toISOString()}\n` +
        'A running gateway serves it to new connections; open ones keep theirs.\n',
    );
    for (const warning of prepared.warnings) env.io.err(`warning: ${warning}\n`);
  });
}

export async function certUseLocalCommand(env: CommandEnv): Promise<void> {
  const removed = await removeImportedCertificate(dataPaths(env.dataDir).tls, { logger: env.logger });
  env.io.out(
    removed
      ? 'removed the imported certificate; the gateway serves the local one to new connections\n'
      : 'no imported certificate: the local one is already in use\n',
  );
}

export async function certRegenerateCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const keyTypeFlag = optionalString(flags, 'key-type');
  const keyType = CERTIFICATE_KEY_TYPES.find((type) => type === keyTypeFlag);
  if (keyTypeFlag !== undefined && keyType === undefined) {
    throw new UsageError(`--key-type takes one of ${CERTIFICATE_KEY_TYPES.join(', ')}`);
  }
  if (keyType !== undefined) {
    const store = await SettingsStore.open(env.dataDir, env.logger);
    try {
      await store.update((settings) => ({ ...settings, tls: { ...settings.tls, keyType } }));
    } finally {
      store.close();
    }
  }
  await withSettings(env, async (settings) => {
    const material = await loadOrCreateCertificates(dataPaths(env.dataDir).tls, {
      publicNames: settings.publicNames,
      keyType: settings.tls.keyType,
      logger: env.logger,
      regenerate: true,
    });
    if (material.source === 'imported') {
      env.io.out(
        'issued a new local server certificate; the imported one is still served (`homegate cert use-local` switches)\n',
      );
      return;
    }
    env.io.out(
      `issued a new server certificate from the local CA: SHA-256 ${material.fingerprintSha256}, ` +
        `valid until ${material.notAfter.toISOString()}\n`,
    );
  });
}

export async function certExportCaCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const out = optionalString(flags, 'out');
  if (out === undefined) throw new UsageError('--out is required');
  const format = optionalString(flags, 'format') ?? 'pem';
  if (format !== 'pem' && format !== 'der') throw new UsageError('--format takes pem or der');
  const tlsDir = dataPaths(env.dataDir).tls;
  let ca = await readCaCertificate(tlsDir);
  if (!ca) {
    // Before the first `serve`: create the CA now, so that clients can be set up first.
    await withSettings(env, (settings) =>
      loadOrCreateCertificates(tlsDir, {
        publicNames: settings.publicNames,
        keyType: settings.tls.keyType,
        logger: env.logger,
      }),
    );
    ca = await readCaCertificate(tlsDir);
    if (!ca) throw new CliError('the local CA could not be created');
  }
  await writeFile(out, format === 'pem' ? `${ca.toString().trimEnd()}\n` : ca.raw, { mode: 0o644 });
  env.io.out(
    `wrote the local CA certificate (${format.toUpperCase()}) to ${out}\n` +
      `${ca.subject.replaceAll('\n', ', ')}, SHA-256 ${fingerprintSha256OfDer(ca.raw)}\n` +
      'Compare this fingerprint on the device before trusting it (docs/trusting-the-gateway.md).\n',
  );
}

/** From `--passphrase-file FILE` (`-` for standard input), else from standard input (a prompt on a terminal). */
async function readPassphrase(env: CommandEnv, file: string | undefined, prompt: string): Promise<string> {
  if (file !== undefined && file !== '-') {
    const { data } = await readImportFile(file).catch((error: Error) => {
      throw new CliError(`--passphrase-file: ${error.message}`);
    });
    if (data.length > MAX_PASSPHRASE_FILE_BYTES) throw new CliError(`--passphrase-file: ${file} is too large`);
    return firstLine(data.toString('utf8'));
  }
  if (!env.io.readSecret) throw new UsageError('give the passphrase with --passphrase-file FILE');
  // Standard input: piped (`--passphrase-file -`, or nothing given) or typed at a prompt without echo.
  return env.io.readSecret(prompt);
}
