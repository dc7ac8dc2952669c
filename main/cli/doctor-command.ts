import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import type { Settings } from '../config/schema.ts';
import { SettingsError, SettingsStore } from '../config/settings-store.ts';
import { describeServedCertificate, type CertificateSummary } from '../certs/certificate-store.ts';
import { readAttemptsFile } from '../doctor/attempt-log.ts';
import { certificateCarries } from '../doctor/doctor.ts';
import { describeSetAsideCopy, findSetAsideCopies, MAX_SET_ASIDE_LISTED } from '../doctor/set-aside-files.ts';
import { dataPaths } from '../config/data-dir.ts';
import { groupAttempts, type ConnectionAttempt } from '../../shared/model/doctor.ts';
import { localAddressFor } from '../net/ip-address.ts';
import type { Host } from '../../shared/model/hosts.ts';
import type { CommandEnv } from './commands.ts';

/** Attempts `homegate doctor` shows. */
const ATTEMPTS_SHOWN = 20;
/** Each network probe of the self-check gives up after this. */
const PROBE_TIMEOUT_MS = 2_000;

/** One finding of the self-check. */
export interface DoctorCheck {
  readonly area: 'certificate' | 'names' | 'listeners' | 'hosts' | 'data';
  readonly status: 'ok' | 'warn' | 'fail';
  readonly message: string;
  readonly fix?: string;
}

export interface DoctorReport {
  /** Newest first. */
  readonly attempts: readonly ConnectionAttempt[];
  readonly checks: readonly DoctorCheck[];
}

type Flags = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/**
 * `homegate doctor [--json]`: the last failed attempts the gateway recorded (from `attempts.log`, so it works
 * beside a running `serve`) and a self-check of the certificate, the names, the listeners, the hosts and the files
 * set aside as unreadable (`NAME.corrupt-TIME`). It reads files and opens test connections only; it changes nothing
 * but what opening the settings does (an unreadable settings file is copied aside, as every command does). Exit 0
 * whatever it finds: the findings are the output.
 */
export async function doctorCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const settings = await readSettings(env);
  const paths = dataPaths(env.dataDir);
  const [attempts, checks, dataChecks] = await Promise.all([
    readAttemptsFile(paths.attempts, ATTEMPTS_SHOWN),
    settings instanceof SettingsError ? [settingsCheck(settings)] : selfCheck(paths.tls, settings),
    setAsideChecks(env.dataDir),
  ]);
  const report: DoctorReport = { attempts, checks: [...checks, ...dataChecks] };
  if (flags.json === true) {
    env.io.out(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  env.io.out(formatReport(report));
}

function formatReport(report: DoctorReport): string {
  const lines: string[] = ['Recent failed attempts'];
  if (report.attempts.length === 0) lines.push('  none recorded');
  for (const group of groupAttempts(report.attempts)) {
    lines.push(`  ${group.label}`);
    for (const attempt of group.attempts) {
      lines.push(`    ${attempt.time}  [${attempt.stage}] ${attempt.cause}`);
      lines.push(`      fix: ${attempt.fix}`);
    }
  }
  lines.push('', 'Self-check');
  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  for (const check of report.checks) {
    lines.push(`  ${mark[check.status]}  ${check.area}: ${check.message}`);
    if (check.fix) lines.push(`        fix: ${check.fix}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The settings, or why they cannot be read (then the checks that need them are skipped). */
async function readSettings(env: CommandEnv): Promise<Settings | SettingsError> {
  let store: SettingsStore;
  try {
    store = await SettingsStore.open(env.dataDir, env.logger);
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  try {
    return store.get();
  } finally {
    store.close();
  }
}

function settingsCheck(error: SettingsError): DoctorCheck {
  return {
    area: 'data',
    status: 'fail',
    message: `${error.message}; the certificate, names, listeners and hosts were not checked`,
    fix: `Correct ${error.path} (or move it away to start from defaults), then run \`homegate doctor\` again.`,
  };
}

/** One finding per file set aside as unreadable, newest first, the oldest beyond MAX_SET_ASIDE_LISTED counted. */
async function setAsideChecks(dataDir: string): Promise<DoctorCheck[]> {
  const copies = await findSetAsideCopies(dataDir);
  const checks: DoctorCheck[] = copies
    .slice(0, MAX_SET_ASIDE_LISTED)
    .map((copy) => ({ area: 'data', status: 'warn', ...describeSetAsideCopy(copy) }));
  if (copies.length === 0) return [{ area: 'data', status: 'ok', message: 'no unreadable file was set aside' }];
  const older = copies.length - checks.length;
  if (older > 0) {
    checks.push({
      area: 'data',
      status: 'warn',
      message: `${older} older unreadable file${older === 1 ? ' was' : 's were'} set aside in ${dataDir} (*.corrupt-*)`,
      fix: 'Nothing else to do; delete the copies when you like.',
    });
  }
  return checks;
}

async function selfCheck(tlsDir: string, settings: Settings): Promise<DoctorCheck[]> {
  const certificate = await describeServedCertificate(tlsDir, { publicNames: settings.publicNames });
  return [
    certificateCheck(certificate),
    ...(await nameChecks(settings.publicNames, certificate)),
    ...(await listenerChecks(settings)),
    ...(await hostChecks(settings.hosts)),
  ];
}

function certificateCheck(certificate: CertificateSummary | undefined): DoctorCheck {
  if (!certificate) {
    return {
      area: 'certificate',
      status: 'fail',
      message: 'no certificate yet',
      fix: 'Start the gateway once (`homegate serve`): it creates one.',
    };
  }
  const expired = certificate.notAfter.getTime() <= Date.now();
  const names = [...certificate.dnsNames, ...certificate.ipAddresses].join(', ') || '(no names)';
  const validity = expired ? 'expired' : `valid until ${certificate.notAfter.toISOString().slice(0, 10)}`;
  const warnings = certificate.warnings.length > 0 ? `; ${certificate.warnings.join('; ')}` : '';
  return {
    area: 'certificate',
    status: expired ? 'fail' : certificate.warnings.length > 0 ? 'warn' : 'ok',
    message: `${certificate.source === 'imported' ? 'imported' : 'local CA'} certificate for ${names}, ${validity}${warnings}`,
    ...(expired
      ? { fix: certificate.source === 'imported' ? 'Import a new certificate.' : 'Run `homegate cert regenerate`.' }
      : {}),
  };
}

/** One check per item, one after the other; `none` alone when there is no item. */
async function checkEach<T>(
  items: readonly T[],
  none: DoctorCheck | undefined,
  check: (item: T) => Promise<DoctorCheck>,
): Promise<DoctorCheck[]> {
  if (items.length === 0 && none) return [none];
  const checks: DoctorCheck[] = [];
  for (const item of items) checks.push(await check(item));
  return checks;
}

const NO_PUBLIC_NAME: DoctorCheck = {
  area: 'names',
  status: 'warn',
  message: 'no public name: exported files work only inside the home network',
  fix: 'Set the name clients use from outside (a DNS or dynamic-DNS name) in Settings, and forward its port to this machine.',
};

function nameChecks(
  publicNames: readonly string[],
  certificate: CertificateSummary | undefined,
): Promise<DoctorCheck[]> {
  return checkEach(publicNames, NO_PUBLIC_NAME, async (name) => {
    const carried = certificate ? certificateCarries(name, certificate) : false;
    const resolved = isIP(name) === 0 ? await resolve(name) : name;
    return {
      area: 'names',
      status: !carried ? 'fail' : resolved === undefined ? 'warn' : 'ok',
      message: `${name}: ${carried ? 'in the certificate' : 'not in the certificate'}, ${
        resolved === undefined ? 'does not resolve here' : `resolves to ${resolved}`
      }`,
      ...(!carried
        ? {
            fix: 'Restart the gateway (it re-issues the local certificate with its public names) or import one that carries it.',
          }
        : resolved === undefined
          ? { fix: 'Check the DNS record (or your dynamic-DNS client) for this name.' }
          : {}),
    };
  });
}

function listenerChecks(settings: Settings): Promise<DoctorCheck[]> {
  const listeners: { readonly what: string; readonly host: string; readonly port: number }[] = [
    { what: 'gateway (HTTPS)', ...settings.listen },
    ...(settings.relay.listen ? [{ what: 'TCP relay', ...settings.relay.listen }] : []),
  ];
  return checkEach(listeners, undefined, async (listener) => {
    const answer = await probe(localAddressFor(listener.host), listener.port);
    return {
      area: 'listeners',
      status: answer === undefined ? 'ok' : 'warn',
      message: `${listener.what} on ${listener.host}:${listener.port}: ${answer === undefined ? 'answers' : `nothing answers (${answer})`}`,
      ...(answer === undefined ? {} : { fix: 'Start the gateway (the app, or `homegate serve`).' }),
    };
  });
}

const NO_HOST: DoctorCheck = {
  area: 'hosts',
  status: 'warn',
  message: 'no allowed PC yet',
  fix: 'Allow a PC (Hosts in the app, or `homegate hosts add`).',
};

function hostChecks(hosts: readonly Host[]): Promise<DoctorCheck[]> {
  return checkEach(hosts, NO_HOST, async (host) => {
    const answer = await probe(host.address, host.port);
    return {
      area: 'hosts',
      status: answer === undefined ? 'ok' : 'warn',
      message: `${host.name} (${host.address}:${host.port}): ${answer === undefined ? 'answers' : `does not answer (${answer})`}${
        host.mac ? `, Wake-on-LAN ${host.mac}` : ''
      }`,
      ...(answer === undefined
        ? {}
        : {
            fix: host.mac
              ? 'It may be asleep: the gateway wakes it on the next connection. Otherwise turn on Remote Desktop there.'
              : 'Turn the PC on and enable Remote Desktop; add its MAC address so the gateway can wake it.',
          }),
    };
  });
}

async function resolve(name: string): Promise<string | undefined> {
  const timeout = new Promise<undefined>((done) => setTimeout(() => done(undefined), PROBE_TIMEOUT_MS).unref());
  return Promise.race([
    lookup(name).then(
      (result) => result.address,
      () => undefined,
    ),
    timeout,
  ]);
}

/** A TCP connection to `host:port`: undefined when it is accepted, else why not. */
function probe(host: string, port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (result: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      done(result);
    };
    const timer = setTimeout(() => finish(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`), PROBE_TIMEOUT_MS);
    socket.once('connect', () => finish(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish(error.code === 'ECONNREFUSED' ? 'refused' : (error.code ?? error.message)),
    );
  });
}
