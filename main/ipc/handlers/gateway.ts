import { hostname } from 'node:os';
import type { GatewayStatus } from '../../../shared/ipc/contract.ts';
import { formatHostAndPort } from '../../../shared/model/hosts.ts';
import type { GatewayService } from '../../service.ts';
import { actor, type CallHandlers, type HandlerDeps } from '../dispatch.ts';
import packageJson from '../../../package.json' with { type: 'json' };

/** How clients reach the gateway, as .rdp files name it: the first public name (else this machine's) and our port. */
export function publicGatewayAddress(service: GatewayService): string {
  const name = service.context.settings.get().publicNames[0] ?? hostname();
  return formatHostAndPort(name, service.address.port);
}

export function gatewayStatus(service: GatewayService): GatewayStatus {
  const relay = service.relayAddress;
  return {
    listening: { host: service.address.address, port: service.address.port },
    relayListening: relay ? { host: relay.address, port: relay.port } : null,
    paused: service.paused,
    certificateFingerprint: service.tls.fingerprintSha256,
    liveSessions: service.sessions.size,
    publicAddress: publicGatewayAddress(service),
    version: packageJson.version,
    auditLogProblem: service.audit.problem ?? null,
  };
}

export function gatewayHandlers({ service }: HandlerDeps): Pick<CallHandlers, 'gateway.status' | 'gateway.setPaused'> {
  return {
    'gateway.status': () => Promise.resolve(gatewayStatus(service)),
    'gateway.setPaused': ({ paused }, context) => {
      if (paused !== service.paused) {
        if (paused) service.pause();
        else service.resume();
        service.audit.record({ event: paused ? 'gateway.paused' : 'gateway.resumed', ...actor(context) });
      }
      return Promise.resolve(gatewayStatus(service));
    },
  };
}
