/**
 * The one setup the e2e files share: a shadow server (the RDP target, allowed as host `shadow`), a data directory
 * with the given hosts allowed and settings prepared, and `homegate serve` listening where the client flavour can
 * reach it from the command line (port 443 on a loopback address of its own for FreeRDP 3). The in-process gateway
 * for tests that need the service object is test/helpers/gateway.ts (`withGateway`).
 */
import { runCleanupSteps } from './cleanup.ts';
import {
  gatewayListenAddress,
  type ClientFlavour,
  type GatewayEndpoint,
  type GatewayTransport,
} from './client-flavours.ts';
import { allowHost, homegateOk, startHomegateServe, type HomegateServe } from './homegate.ts';
import { startShadowServer, type ShadowServerHandle } from './rdp-server.ts';
import { makeTempDir, type TempDir } from './temp-dirs.ts';
import { XFREERDP_BASE_ARGS, xfreerdpTarget } from './xfreerdp.ts';

export interface ServeFixtureOptions {
  readonly flavour: ClientFlavour;
  /** Part of the data directory's name. */
  readonly name: string;
  /** More allowed hosts: name → port on 127.0.0.1. The shadow server is always allowed as `shadow`. */
  readonly hosts?: Readonly<Record<string, number>>;
  /** Runs on the data directory before serve starts, for settings a user would have changed. */
  readonly prepare?: (dataDir: string) => Promise<void>;
  /** More `serve` arguments (`--relay-listen 127.0.0.1:0`). */
  readonly extraArgs?: readonly string[];
}

export interface ServeFixture {
  readonly flavour: ClientFlavour;
  readonly shadow: ShadowServerHandle;
  readonly data: TempDir;
  readonly serve: HomegateServe;
  /** Where command-line clients of this flavour reach the gateway. */
  readonly gateway: GatewayEndpoint;
  /** `homegate token paa --host NAME`, as a user would mint it. */
  paaToken(host: string): Promise<string>;
  /** A whole command line through the gateway: target, base arguments and the flavour's gateway option. */
  viaGateway(target: string, token: string, transport?: GatewayTransport): string[];
  /** A command line to the shadow server through the gateway. */
  toShadow(token: string, transport?: GatewayTransport): string[];
  /** Stops serve and the shadow server, removes the data directory (idempotent; serve may be stopped already). */
  stop(): Promise<void>;
}

export async function startServeFixture(options: ServeFixtureOptions): Promise<ServeFixture> {
  const { flavour } = options;
  let shadow: ShadowServerHandle | undefined;
  let data: TempDir | undefined;
  let serve: HomegateServe | undefined;
  const stop = (): Promise<void> =>
    runCleanupSteps([async () => serve?.stop(), async () => shadow?.stop(), async () => data?.remove()]);
  try {
    shadow = await startShadowServer();
    data = await makeTempDir(options.name);
    await allowHost(data.path, 'shadow', shadow.port);
    for (const [name, port] of Object.entries(options.hosts ?? {})) await allowHost(data.path, name, port);
    await options.prepare?.(data.path);
    const listen = await gatewayListenAddress(flavour);
    serve = await startHomegateServe(data.path, { listen, extraArgs: options.extraArgs ?? [] });
    const gateway = { host: serve.host, port: serve.port };
    const dataDir = data.path;
    const viaGateway = (target: string, token: string, transport?: GatewayTransport): string[] => [
      target,
      ...XFREERDP_BASE_ARGS,
      ...flavour.gatewayArgs(gateway, token, transport),
    ];
    const shadowPort = shadow.port;
    return {
      flavour,
      shadow,
      data,
      serve,
      gateway,
      paaToken: async (host) => (await homegateOk(dataDir, ['token', 'paa', '--host', host])).trim(),
      viaGateway,
      toShadow: (token, transport) => viaGateway(xfreerdpTarget('127.0.0.1', shadowPort), token, transport),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
