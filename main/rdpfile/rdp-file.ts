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

function formatSetting([name, type, value]: RdpSetting): string {
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
