/**
 * Writing .rdp files as MSTSC writes them: `name:type:value` lines, CRLF, UTF-16LE with a byte-order mark.
 * FreeRDP reads the same bytes. Values are checked so that nothing a user typed can start a new line (and so
 * inject a setting such as another `full address`).
 */
export type RdpSetting = readonly [name: string, type: 's' | 'i', value: string | number];

export class RdpFileError extends Error {
  override readonly name = 'RdpFileError';
}

const SETTING_NAME = /^[a-z][a-z0-9 ]*$/;

export function formatRdpFile(settings: readonly RdpSetting[]): string {
  return settings.map(formatSetting).join('\r\n') + '\r\n';
}

/** The file's bytes: BOM, then UTF-16LE text. */
export function encodeRdpFile(settings: readonly RdpSetting[]): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(formatRdpFile(settings), 'utf16le')]);
}

/** One setting's line without its line break, exactly as written to the file (and hashed by the signer). */
export function formatSetting([name, type, value]: RdpSetting): string {
  if (!SETTING_NAME.test(name)) throw new RdpFileError(`invalid setting name "${name}"`);
  if (type === 'i') {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw new RdpFileError(`setting "${name}" needs an integer, got ${String(value)}`);
    }
    return `${name}:i:${value}`;
  }
  const text = String(value);
  // Control characters (CR, LF, NUL…) would end the line early and let the rest be read as another setting.
  if (/\p{Cc}/u.test(text)) throw new RdpFileError(`setting "${name}" contains a control character`);
  return `${name}:s:${text}`;
}

export interface GatewayRdpOptions {
  /** The target as the gateway knows it (an allowed host's name). */
  readonly targetName: string;
  readonly targetPort: number;
  /** How clients reach the gateway, `host[:port]`; must match the gateway certificate. */
  readonly gatewayAddress: string;
  readonly accessToken: string;
}

/** The settings that make MSTSC and FreeRDP go through the gateway with a PAA access token. */
export function gatewayRdpSettings(options: GatewayRdpOptions): RdpSetting[] {
  return [
    ['full address', 's', options.targetName],
    ['server port', 'i', options.targetPort],
    ['gatewayhostname', 's', options.gatewayAddress],
    // 1 = always use the gateway; 1 = use this file's gateway settings; 5 = cookie (PAA token) credentials.
    ['gatewayusagemethod', 'i', 1],
    ['gatewayprofileusagemethod', 'i', 1],
    ['gatewaycredentialssource', 'i', 5],
    ['gatewayaccesstoken', 's', options.accessToken],
    ['promptcredentialonce', 'i', 0],
  ];
}

export interface RelayRdpOptions {
  /** How clients reach the relay listener. */
  readonly relayHost: string;
  readonly relayPort: number;
  /** The ASSOCIATION token, sent in the preconnection PDU. */
  readonly token: string;
}

/**
 * The settings that make MSTSC and FreeRDP connect straight to the TCP relay and put the ASSOCIATION token in the
 * preconnection PDU (`pcb`); no RD Gateway is involved.
 */
export function relayRdpSettings(options: RelayRdpOptions): RdpSetting[] {
  const host = options.relayHost.includes(':') ? `[${options.relayHost}]` : options.relayHost;
  return [
    ['full address', 's', `${host}:${options.relayPort}`],
    ['server port', 'i', options.relayPort],
    // 0 = never use an RD Gateway: the relay is the only hop.
    ['gatewayusagemethod', 'i', 0],
    ['pcb', 's', options.token],
    ['promptcredentialonce', 'i', 0],
  ];
}

/** How the client shows and shares the session: the user's choices when exporting a file. */
export interface RdpClientOptions {
  readonly screenMode: 'window' | 'fullscreen';
  readonly multiMonitor: boolean;
  readonly clipboard: boolean;
  /** Share every local drive with the remote machine. */
  readonly drives: boolean;
  /** Where sound plays: here (`local`), on the remote machine, or nowhere. */
  readonly audio: 'local' | 'remote' | 'off';
  /** Prefills the remote login (MSTSC still asks for the password). */
  readonly username?: string | undefined;
}

const AUDIO_MODE: Record<RdpClientOptions['audio'], number> = { local: 0, remote: 1, off: 2 };

/** The settings for those choices, by MSTSC's names (screen mode id: 1 = window, 2 = full screen). */
export function rdpClientSettings(options: RdpClientOptions): RdpSetting[] {
  return [
    ['screen mode id', 'i', options.screenMode === 'fullscreen' ? 2 : 1],
    ['use multimon', 'i', options.multiMonitor ? 1 : 0],
    ['redirectclipboard', 'i', options.clipboard ? 1 : 0],
    ['redirectdrives', 'i', options.drives ? 1 : 0],
    ...(options.drives ? [['drivestoredirect', 's', '*'] as const] : []),
    ['audiomode', 'i', AUDIO_MODE[options.audio]],
    ...(options.username ? [['username', 's', options.username] as const] : []),
  ];
}
