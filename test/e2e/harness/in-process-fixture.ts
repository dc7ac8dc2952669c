/**
 * The e2e setup for tests that need the service object (the session registry, an admin disconnect): a shadow server
 * allowed as host `shadow`, the in-process gateway of test/helpers/gateway.ts (`withGateway`) listening where the
 * client flavour can reach it from the command line, a PAA token for `shadow`, and the client's command line to it.
 * Everything is stopped by the test's `after` hooks. Tests that run `homegate serve` as a user would use
 * serve-fixture.ts instead.
 */
import { withGateway, type TestGateway } from '../../helpers/gateway.ts';
import { gatewayListenAddress, parseEndpoint, type ClientFlavour, type GatewayTransport } from './client-flavours.ts';
import { startShadowServer, type ShadowServerHandle } from './rdp-server.ts';
import { XFREERDP_BASE_ARGS, xfreerdpTarget } from './xfreerdp.ts';

export interface InProcessFixture {
  readonly gateway: TestGateway;
  readonly shadow: ShadowServerHandle;
  /** A PAA token for host `shadow`, signed by the gateway's key. */
  readonly token: string;
  /** A whole command line to the shadow server through the gateway, over `transport`. */
  readonly toShadow: (transport?: GatewayTransport) => string[];
}

export async function withInProcessGateway(
  t: { after(fn: () => Promise<void>): void },
  flavour: ClientFlavour,
): Promise<InProcessFixture> {
  const shadow = await startShadowServer();
  t.after(() => shadow.stop());
  const listen = parseEndpoint(await gatewayListenAddress(flavour));
  const gateway = await withGateway(t, { listen });
  await gateway.addHost({ name: 'shadow', port: shadow.port });
  const { token } = await gateway.token(['shadow']);
  return {
    gateway,
    shadow,
    token,
    toShadow: (transport) => [
      xfreerdpTarget('127.0.0.1', shadow.port),
      ...XFREERDP_BASE_ARGS,
      ...flavour.gatewayArgs({ host: listen.host, port: gateway.port }, token, transport),
    ],
  };
}
