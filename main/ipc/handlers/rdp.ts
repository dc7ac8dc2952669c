import { hostname } from 'node:os';
import { isHostAddress, type Host } from '../../../shared/model/hosts.ts';
import type { DownloadLink, ExportedFile } from '../../../shared/model/ui.ts';
import { exportRdpFile } from '../../rdpfile/rdp-export.ts';
import type { RdpSigner } from '../../rdpfile/rdp-sign.ts';
import { formatTargetAddr } from '../../security/target-addr.ts';
import { issueAssociationToken, issuePaaToken } from '../../security/tokens.ts';
import { defaultRdpOptions, type ParsedCallInput, type RdpOptions } from '../../../shared/ipc/contract.ts';
import type { GatewayService } from '../../service.ts';
import { DOWNLOAD_PATH_PREFIX, DownloadLinkLimitError, type IssuedDownloadLink } from '../../web/download-links.ts';
import { ContractCallError, actor, type CallContext, type CallHandlers, type HandlerDeps } from '../dispatch.ts';
import { publicGatewayAddress } from './gateway.ts';
import { requireHost } from './hosts.ts';
import { recordIssuedToken } from './tokens.ts';

export const RDP_MIME_TYPE = 'application/x-rdp';

/** An allowed host as a relay target: by name (the relay matches names and addresses alike), else by address. */
function relayTarget(host: Host): string {
  return formatTargetAddr({
    scheme: 'tcp',
    host: isHostAddress(host.name) ? host.name : host.address,
    port: host.port,
  });
}

function rdpFile(host: Host, file: Buffer): ExportedFile {
  return { fileName: `${host.name}.rdp`, mimeType: RDP_MIME_TYPE, contentBase64: file.toString('base64') };
}

/** Signed like rdpsign with the certificate served now (MSTSC shows it as the publisher). */
function currentSigner(service: GatewayService): RdpSigner {
  return { chainPem: service.tls.chainPem, keyPem: service.tls.keyPem };
}

/** A gateway-mode .rdp file for `host` carrying `token`. */
function gatewayRdpFile(service: GatewayService, host: Host, token: string, client: RdpOptions): ExportedFile {
  const connection = {
    mode: 'gateway',
    targetName: host.name,
    targetPort: host.port,
    gatewayAddress: publicGatewayAddress(service),
    accessToken: token,
  } as const;
  return rdpFile(host, exportRdpFile({ connection, client, signer: currentSigner(service) }));
}

/**
 * A gateway-mode .rdp file for one device (a one-time download link's file): a fresh per-device PAA token, listed
 * and revocable under its device name like one from `tokens.issue`.
 */
export async function exportDeviceRdpFile(
  service: GatewayService,
  request: { readonly host: string; readonly device: string; readonly ttlSeconds: number },
  context: CallContext,
): Promise<ExportedFile> {
  const current = service.context.settings.get();
  const host = requireHost(current, request.host);
  const { token, claims } = await issuePaaToken(service.context.signingKey, {
    gatewayId: current.gatewayId,
    hosts: [host.name],
    ttlSeconds: request.ttlSeconds,
    device: request.device,
  });
  await recordIssuedToken(
    service,
    {
      jti: claims.jti,
      kind: 'device',
      host: host.name,
      label: 'RDP file (download link)',
      device: request.device,
      singleUse: false,
      issuedAt: new Date(claims.iat * 1000),
      expiresAt: new Date(claims.exp * 1000),
    },
    context,
    'rdp-file',
  );
  return gatewayRdpFile(service, host, token, defaultRdpOptions());
}

/** A one-time download link for a host's .rdp file on one device (the file is made when the link is used). */
function issueDownloadLink(
  service: GatewayService,
  { host: hostName, device, ttlSeconds }: ParsedCallInput<'rdp.downloadLink'>,
  context: CallContext,
): Promise<DownloadLink> {
  const host = requireHost(service.context.settings.get(), hostName);
  let link: IssuedDownloadLink;
  try {
    link = service.downloadLinks.issue({ host: host.name, device, ttlSeconds });
  } catch (error) {
    if (error instanceof DownloadLinkLimitError) throw new ContractCallError('conflict', error.message);
    throw error;
  }
  const expiresAt = new Date(link.expiresAtMs).toISOString();
  service.audit.record({
    event: 'download-link.issued',
    linkId: link.linkId,
    host: host.name,
    device,
    expiresAt,
    ...actor(context),
  });
  const url = `https://${publicGatewayAddress(service)}${DOWNLOAD_PATH_PREFIX}${link.code}`;
  return Promise.resolve({ url, host: host.name, device, expiresAt });
}

export function rdpHandlers({ service }: HandlerDeps): Pick<CallHandlers, 'rdp.export' | 'rdp.downloadLink'> {
  const { settings, signingKey } = service.context;
  return {
    'rdp.downloadLink': (input, context) => issueDownloadLink(service, input, context),
    'rdp.export': async ({ host: hostName, mode, ttlSeconds, options }, context) => {
      const current = settings.get();
      const host = requireHost(current, hostName);
      const ttl = ttlSeconds ?? current.tokens.paaTtlSeconds;
      const client = options;
      if (mode === 'gateway') {
        const { token, claims } = await issuePaaToken(signingKey, {
          gatewayId: current.gatewayId,
          hosts: [host.name],
          ttlSeconds: ttl,
        });
        await recordIssuedToken(
          service,
          {
            jti: claims.jti,
            kind: 'paa',
            host: host.name,
            label: 'RDP file',
            singleUse: false,
            issuedAt: new Date(claims.iat * 1000),
            expiresAt: new Date(claims.exp * 1000),
          },
          context,
          'rdp-file',
        );
        return gatewayRdpFile(service, host, token, client);
      }
      const relay = service.relayAddress;
      if (!relay) {
        throw new ContractCallError(
          'conflict',
          'the TCP relay is off: set relay.listen in the settings to export relay files',
        );
      }
      const { token, claims } = await issueAssociationToken(signingKey, {
        gatewayId: current.gatewayId,
        targets: [relayTarget(host)],
        ttlSeconds: ttl,
      });
      // The relay's replay cache makes every ASSOCIATION token single-use (reconnections within a short window).
      await recordIssuedToken(
        service,
        {
          jti: claims.jti,
          kind: 'association',
          host: host.name,
          label: 'RDP file (relay)',
          singleUse: true,
          issuedAt: new Date((claims.iat ?? Math.floor(Date.now() / 1000)) * 1000),
          expiresAt: new Date(claims.exp * 1000),
        },
        context,
        'rdp-file',
      );
      const relayHost = current.publicNames[0] ?? hostname();
      const connection = { mode: 'relay', relayHost, relayPort: relay.port, token } as const;
      return rdpFile(host, exportRdpFile({ connection, client, signer: currentSigner(service) }));
    },
  };
}
