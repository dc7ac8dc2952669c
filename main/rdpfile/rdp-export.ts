/**
 * The .rdp exporter shared by the CLI (`homegate rdp`), the `rdp.export` call and `/connect`: the connection
 * settings for gateway (MS-TSGU, PAA token) or relay (preconnection PDU) mode, the user's client options, and
 * optionally an rdpsign signature.
 */
import {
  encodeRdpFile,
  gatewayRdpSettings,
  rdpClientSettings,
  relayRdpSettings,
  type GatewayRdpOptions,
  type RdpClientOptions,
  type RdpSetting,
  type RelayRdpOptions,
} from './rdp-file.ts';
import { signRdpSettings, type RdpSigner } from './rdp-sign.ts';

export type RdpConnection =
  ({ readonly mode: 'gateway' } & GatewayRdpOptions) | ({ readonly mode: 'relay' } & RelayRdpOptions);

export interface RdpExport {
  readonly connection: RdpConnection;
  /** The user's display/redirection choices; none are written when absent (client defaults). */
  readonly client?: RdpClientOptions | undefined;
  /** Signs the file like rdpsign when given. */
  readonly signer?: RdpSigner | undefined;
}

/** The full list of settings, in file order (signed ones last, then `signscope` and `signature`). */
export function rdpExportSettings({ connection, client, signer }: RdpExport): RdpSetting[] {
  const base = connection.mode === 'gateway' ? gatewayRdpSettings(connection) : relayRdpSettings(connection);
  const settings = [...base, ...(client ? rdpClientSettings(client) : [])];
  return signer ? signRdpSettings(settings, signer).settings : settings;
}

/** The file's bytes (UTF-16LE with BOM, CRLF). Throws RdpFileError for values that cannot be written safely. */
export function exportRdpFile(options: RdpExport): Buffer {
  return encodeRdpFile(rdpExportSettings(options));
}
