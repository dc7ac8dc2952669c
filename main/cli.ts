import { parseArgs, type ParseArgsConfig } from 'node:util';
import { adminSetPasswordCommand } from './cli/admin-commands.ts';
import { CliError, ExitCode, UsageError } from './cli/cli-error.ts';
import {
  healthCommand,
  hostsAddCommand,
  hostsListCommand,
  hostsRemoveCommand,
  rdpCommand,
  serveCommand,
  tokenPaaCommand,
  type CommandEnv,
} from './cli/commands.ts';
import {
  certExportCaCommand,
  certImportCommand,
  certRegenerateCommand,
  certShowCommand,
  certUseLocalCommand,
} from './cli/cert-commands.ts';
import { doctorCommand } from './cli/doctor-command.ts';
import { processIo, type CliIo } from './cli/output.ts';
import {
  rdpRelayCommand,
  revokeCommand,
  tokenAssociationCommand,
  tokenJrlCommand,
  tokenScopeCommand,
} from './cli/relay-commands.ts';
import { SettingsError } from './config/settings-store.ts';
import { resolveDataDir } from './config/data-dir.ts';
import { createLogger, type LogLevel } from './logging/logger.ts';
import packageJson from '../package.json' with { type: 'json' };

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  readonly usage: string;
  readonly summary: string;
  readonly options: Options;
  readonly run: (
    env: CommandEnv,
    flags: Record<string, string | boolean | (string | boolean)[] | undefined>,
  ) => Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  serve: {
    usage: 'serve [--listen HOST:PORT] [--relay-listen HOST:PORT] [--plain-listen HOST:PORT]',
    summary: 'run the gateway (and the TCP relay, when it has an address) until Ctrl-C (SIGINT) or SIGTERM',
    options: { listen: { type: 'string' }, 'relay-listen': { type: 'string' }, 'plain-listen': { type: 'string' } },
    run: serveCommand,
  },
  'hosts add': {
    usage: 'hosts add --name NAME --address HOST[:PORT] [--mac MAC]',
    summary: 'allow a host to be reached through the gateway (port 3389 unless given)',
    options: { name: { type: 'string' }, address: { type: 'string' }, mac: { type: 'string' } },
    run: hostsAddCommand,
  },
  'hosts list': {
    usage: 'hosts list [--json]',
    summary: 'list the allowed hosts',
    options: { json: { type: 'boolean' } },
    run: hostsListCommand,
  },
  'hosts remove': {
    usage: 'hosts remove --name NAME',
    summary: 'stop allowing a host',
    options: { name: { type: 'string' } },
    run: hostsRemoveCommand,
  },
  'token paa': {
    usage: 'token paa --host NAME [--ttl SECONDS] [--label TEXT]',
    summary: 'print a gateway access token for one host (only the token, on stdout); listed in the UI under Access',
    options: { host: { type: 'string' }, ttl: { type: 'string' }, label: { type: 'string' } },
    run: tokenPaaCommand,
  },
  'token association': {
    usage: 'token association --host NAME [--alt NAME]... [--ttl SECONDS]',
    summary: 'print a TCP relay token (ASSOCIATION) for a host, with alternates tried in order',
    options: { host: { type: 'string' }, alt: { type: 'string', multiple: true }, ttl: { type: 'string' } },
    run: tokenAssociationCommand,
  },
  'token scope': {
    usage: 'token scope --scope SCOPE [--ttl SECONDS]',
    summary: 'print a /jet API token (SCOPE), for example --scope gateway.sessions.read or --scope "*"',
    options: { scope: { type: 'string' }, ttl: { type: 'string' } },
    run: tokenScopeCommand,
  },
  'token jrl': {
    usage: 'token jrl [--jti ID]...',
    summary: 'print a revocation list token (JRL): the current list plus these token ids, for POST /jet/jrl',
    options: { jti: { type: 'string', multiple: true } },
    run: tokenJrlCommand,
  },
  revoke: {
    usage: 'revoke --jti ID [--jti ID]...',
    summary: 'revoke tokens by id: refused from now on, and their live sessions end (a running serve follows)',
    options: { jti: { type: 'string', multiple: true } },
    run: revokeCommand,
  },
  'admin set-password': {
    usage: 'admin set-password',
    summary:
      'set the web admin page password, read from standard input (a prompt without echo on a terminal), never ' +
      'from the command line; a running gateway ends the sessions opened with the old one',
    options: {},
    run: adminSetPasswordCommand,
  },
  doctor: {
    usage: 'doctor [--json]',
    summary:
      'show the last failed connection attempts with their cause and fix, and check the certificate, the names, ' +
      'the listeners and the hosts',
    options: { json: { type: 'boolean' } },
    run: doctorCommand,
  },
  health: {
    usage: 'health [--port PORT]',
    summary: 'check that the gateway on this machine answers (exit 0 when healthy; for container health checks)',
    options: { port: { type: 'string' } },
    run: healthCommand,
  },
  rdp: {
    usage:
      'rdp --host NAME --out FILE [--mode gateway|relay] [--gateway-address HOST[:PORT]] ' +
      '[--relay-address HOST:PORT] [--alt NAME]... [--ttl SECONDS] [--no-sign] [--screen window|fullscreen] ' +
      '[--multimon] [--no-clipboard] [--drives] [--audio local|remote|off] [--username NAME]',
    summary:
      'write an .rdp file that reaches the host through this gateway (MS-TSGU) or its TCP relay, signed like ' +
      'rdpsign with the gateway certificate unless --no-sign',
    options: {
      host: { type: 'string' },
      out: { type: 'string' },
      mode: { type: 'string' },
      'gateway-address': { type: 'string' },
      'relay-address': { type: 'string' },
      alt: { type: 'string', multiple: true },
      ttl: { type: 'string' },
      'no-sign': { type: 'boolean' },
      screen: { type: 'string' },
      multimon: { type: 'boolean' },
      'no-clipboard': { type: 'boolean' },
      drives: { type: 'boolean' },
      audio: { type: 'string' },
      username: { type: 'string' },
    },
    run: (env, flags) => (flags.mode === 'relay' ? rdpRelayCommand(env, flags) : rdpCommand(env, flags)),
  },
  'cert show': {
    usage: 'cert show [--json]',
    summary: 'show the served TLS certificate: subject, names, issuer, fingerprint, expiry, local or imported',
    options: { json: { type: 'boolean' } },
    run: certShowCommand,
  },
  'cert import': {
    usage: 'cert import (--cert FILE [--key FILE] | --pfx FILE) [--passphrase-file FILE|-]',
    summary:
      'serve your own certificate (PEM chain + key, or PKCS#12/PFX) instead of the local one; the passphrase is ' +
      'read from the file, or from standard input (a prompt on a terminal), never from the command line',
    options: {
      cert: { type: 'string' },
      key: { type: 'string' },
      pfx: { type: 'string' },
      'passphrase-file': { type: 'string' },
    },
    run: certImportCommand,
  },
  'cert use-local': {
    usage: 'cert use-local',
    summary: 'drop the imported certificate and serve the one from the local CA again',
    options: {},
    run: certUseLocalCommand,
  },
  'cert regenerate': {
    usage: 'cert regenerate [--key-type rsa-2048|rsa-3072|ecdsa-p256]',
    summary:
      'issue a new server key and certificate from the local CA; --key-type also becomes the setting for later ' +
      'certificates (default rsa-2048; existing certificates keep their type until regenerated)',
    options: { 'key-type': { type: 'string' } },
    run: certRegenerateCommand,
  },
  'cert export-ca': {
    usage: 'cert export-ca --out FILE [--format pem|der]',
    summary: 'write the local CA certificate, to install as trusted on clients (see docs/trusting-the-gateway.md)',
    options: { out: { type: 'string' }, format: { type: 'string' } },
    run: certExportCaCommand,
  },
};

const GLOBAL_OPTIONS: Options = {
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function usage(): string {
  const lines = Object.values(COMMANDS).flatMap((command) => [
    `  homegate ${command.usage}`,
    `      ${command.summary}`,
  ]);
  return [
    'Homegate — a personal Remote Desktop Gateway',
    '',
    'Usage:',
    ...lines,
    '',
    'Options for every command:',
    '  --data-dir DIR      where settings, keys and logs live (default: $HOMEGATE_DATA_DIR, else the app-data folder)',
    '  --log-level LEVEL   debug, info, warn or error (default: info for serve, warn otherwise)',
    '  -h, --help          show help',
    '  --version           show the version',
    '',
  ].join('\n');
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Runs one `homegate` command line and returns the exit status. Never throws. */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo,
  waitForStop: () => Promise<string> = waitForStopSignal,
): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') {
    io.out(`${packageJson.version}\n`);
    return ExitCode.OK;
  }
  // The command is the leading words before any option: `hosts add --name x`.
  const firstOption = argv.findIndex((arg) => arg.startsWith('-'));
  const words = argv.slice(0, firstOption === -1 ? argv.length : firstOption).slice(0, 2);
  const name = COMMANDS[words.join(' ')] ? words.join(' ') : COMMANDS[words[0] ?? ''] ? words[0] : undefined;
  if (argv.length === 0 || (!name && argv.some((arg) => arg === '--help' || arg === '-h'))) {
    io.out(usage());
    return ExitCode.OK;
  }
  if (!name) {
    io.err(`homegate: unknown command "${words.join(' ')}"\n\n${usage()}`);
    return ExitCode.USAGE;
  }
  const command = COMMANDS[name];
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (values.help === true) {
      io.out(`Usage: homegate ${command.usage}\n\n${command.summary}\n`);
      return ExitCode.OK;
    }
    if (positionals.join(' ') !== name)
      throw new UsageError(`unexpected argument "${positionals.slice(name.split(' ').length).join(' ')}"`);
    // The gateway reports what it does; one-shot commands speak only when something is wrong.
    const logLevel = values['log-level'] ?? (name === 'serve' ? 'info' : 'warn');
    if (typeof logLevel !== 'string' || !LOG_LEVELS.includes(logLevel as LogLevel)) {
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    }
    const dataDirFlag = values['data-dir'];
    const env: CommandEnv = {
      dataDir: resolveDataDir(typeof dataDirFlag === 'string' ? dataDirFlag : undefined),
      io,
      logger: createLogger({ level: logLevel as LogLevel, write: io.err }),
      waitForStop,
    };
    await command.run(env, values);
    return ExitCode.OK;
  } catch (error) {
    return report(error, io, command);
  }
}

function report(error: unknown, io: CliIo, command: Command): number {
  if (error instanceof UsageError) {
    io.err(`homegate: ${error.message}\nUsage: homegate ${command.usage}\n`);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    io.err(`homegate: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof SettingsError) {
    io.err(`homegate: ${error.message}\nFix or remove the file, then try again.\n`);
    return ExitCode.FAILURE;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    io.err(`homegate: ${(error as Error).message}\nUsage: homegate ${command.usage}\n`);
    return ExitCode.USAGE;
  }
  if (code === 'EADDRINUSE') {
    io.err('homegate: the listen address is already in use (is another gateway running?)\n');
    return ExitCode.FAILURE;
  }
  if (code === 'EACCES' || code === 'EPERM') {
    io.err(`homegate: permission denied: ${(error as Error).message}\n`);
    return ExitCode.FAILURE;
  }
  io.err(`homegate: ${(error as Error).message ?? String(error)}\n`);
  return ExitCode.FAILURE;
}

function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
