/**
 * Proves the e2e harness against the real programs (no gateway involved): Xvfb, freerdp-shadow-cli and
 * xfreerdp start, connect, exit with the codes later gateway tests rely on, and leave nothing running.
 *
 * Run: node --import tsx --test --test-reporter=spec --test-concurrency=1 test/e2e/harness.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import {
  MissingToolsError,
  SHADOW_SERVER_TOOLS,
  XFREERDP_AUTH_ONLY,
  XFREERDP_BASE_ARGS,
  XFREERDP_EXIT,
  XFREERDP_TOOLS,
  canConnect,
  describeXfreerdpResult,
  findTool,
  freePort,
  liveProcessGroups,
  makeTempDir,
  processesInGroups,
  reachedActive,
  requireTools,
  runXfreerdp,
  skipUnlessTools,
  sleep,
  spawnedProcessGroups,
  startShadowServer,
  startXfreerdp,
  startXvfb,
  xfreerdpTarget,
  type ShadowServerHandle,
} from './harness/index.ts';

const skip = skipUnlessTools([...new Set([...SHADOW_SERVER_TOOLS, ...XFREERDP_TOOLS, 'pgrep'])]);

/** Generous bound for one +auth-only run; it takes about 1.5 s here. */
const AUTH_ONLY_TIMEOUT_MS = 20_000;
/** Failures that need no server round trip come back in about 0.4 s; this bound leaves room for a slow CI. */
const FAST_FAILURE_BOUND_MS = 5_000;
const TEST_TIMEOUT_MS = 60_000;

describe('tools', () => {
  /** A PATH holding one executable, so that these tests do not depend on what the machine has installed. */
  async function fakePath(t: TestContext): Promise<{ dir: string; tool: string }> {
    const dir = await makeTempDir('tools');
    t.after(() => dir.remove());
    const tool = join(dir.path, 'homegate-present-tool');
    await writeFile(tool, '#!/bin/sh\n', { mode: 0o755 });
    return { dir: dir.path, tool };
  }

  test('requireTools names each missing tool, its package and the setup script', async (t) => {
    const { dir, tool } = await fakePath(t);
    assert.equal(findTool('homegate-present-tool', dir), tool);
    assert.deepEqual(requireTools(['homegate-present-tool'], dir), { ok: true });
    const check = requireTools(['homegate-present-tool', 'homegate-no-such-tool', 'xfreerdp'], dir);
    assert.equal(check.ok, false);
    if (check.ok) return;
    assert.deepEqual(check.missing, ['homegate-no-such-tool', 'xfreerdp']);
    assert.match(check.reason, /homegate-no-such-tool/);
    assert.match(check.reason, /xfreerdp \(Debian package freerdp2-x11\)/);
    assert.match(check.reason, /scripts\/setup-system\.sh/);
  });

  test('skipUnlessTools skips locally and fails when CI=true', async (t) => {
    const { dir } = await fakePath(t);
    assert.equal(skipUnlessTools(['homegate-present-tool'], { PATH: dir }), undefined);
    assert.match(skipUnlessTools(['homegate-no-such-tool'], { PATH: dir }) ?? '', /homegate-no-such-tool/);
    assert.equal(skipUnlessTools(['homegate-present-tool'], { PATH: dir, CI: 'true' }), undefined);
    assert.throws(
      () => skipUnlessTools(['homegate-no-such-tool'], { PATH: dir, CI: 'true' }),
      (error: unknown) =>
        error instanceof MissingToolsError &&
        /homegate-no-such-tool/.test(error.message) &&
        /scripts\/setup-system\.sh/.test(error.message),
    );
  });
});

describe('harness against the real FreeRDP programs', { skip, timeout: 5 * TEST_TIMEOUT_MS }, () => {
  // One shadow server for the tests that only connect to it; tests that kill or reconfigure a server start
  // their own.
  let shared: ShadowServerHandle | undefined;
  const server = (): ShadowServerHandle => {
    assert.ok(shared, 'the shared shadow server was started in before()');
    return shared;
  };
  const sharedTarget = (): string => xfreerdpTarget(server().host, server().port);

  before(async () => {
    shared = await startShadowServer();
  });

  after(async () => {
    await shared?.stop();
  });

  test('freePort returns a loopback port that nothing listens on', { timeout: TEST_TIMEOUT_MS }, async () => {
    const port = await freePort();
    assert.ok(port > 0 && port < 65536);
    assert.equal(await canConnect('127.0.0.1', port, 1_000), false);
  });

  test('startXvfb gives each call its own ready display; stop removes it', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const first = await startXvfb();
    t.after(() => first.stop());
    const second = await startXvfb();
    t.after(() => second.stop());
    assert.notEqual(first.display, second.display);
    for (const xvfb of [first, second]) {
      assert.ok(existsSync(`/tmp/.X11-unix/X${xvfb.displayNumber}`), `socket of ${xvfb.display}`);
    }
    await first.stop();
    await second.stop();
    for (const xvfb of [first, second]) {
      assert.equal(existsSync(`/tmp/.X11-unix/X${xvfb.displayNumber}`), false, `socket of ${xvfb.display} removed`);
    }
    assert.deepEqual(await processesInGroups([first.process.pid, second.process.pid]), []);
  });

  test('the shadow server listens on loopback', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.equal(server().host, '127.0.0.1');
    assert.ok(server().process.running, server().process.describe());
    assert.equal(await canConnect(server().host, server().port, 1_000), true);
  });

  test(
    'xfreerdp +auth-only reaches the shadow server directly and exits 0',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const result = await runXfreerdp([sharedTarget(), ...XFREERDP_BASE_ARGS, XFREERDP_AUTH_ONLY], {
        timeoutMs: AUTH_ONLY_TIMEOUT_MS,
      });
      assert.equal(result.exitCode, XFREERDP_EXIT.SUCCESS, describeXfreerdpResult(result));
      assert.equal(result.timedOut, false);
      assert.ok(reachedActive(result), describeXfreerdpResult(result));
      // A second run must behave the same: each run has its own config dir, so nothing carries over.
      const again = await runXfreerdp([sharedTarget(), ...XFREERDP_BASE_ARGS, XFREERDP_AUTH_ONLY], {
        timeoutMs: AUTH_ONLY_TIMEOUT_MS,
      });
      assert.equal(again.exitCode, XFREERDP_EXIT.SUCCESS, describeXfreerdpResult(again));
      t.diagnostic(`+auth-only durations: ${Math.round(result.durationMs)} ms, ${Math.round(again.durationMs)} ms`);
    },
  );

  test('+auth-only without /p: is refused before connecting (exit 136)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const args = XFREERDP_BASE_ARGS.filter((arg) => !arg.startsWith('/p:'));
    const result = await runXfreerdp([sharedTarget(), ...args, XFREERDP_AUTH_ONLY], {
      timeoutMs: AUTH_ONLY_TIMEOUT_MS,
    });
    assert.equal(result.exitCode, XFREERDP_EXIT.PRE_CONNECT_FAILED, describeXfreerdpResult(result));
  });

  test('connection refused fails fast (exit 147)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const closedPort = await freePort();
    const result = await runXfreerdp(
      [xfreerdpTarget('127.0.0.1', closedPort), ...XFREERDP_BASE_ARGS, XFREERDP_AUTH_ONLY],
      { timeoutMs: AUTH_ONLY_TIMEOUT_MS },
    );
    assert.equal(result.exitCode, XFREERDP_EXIT.CONNECT_TRANSPORT_FAILED, describeXfreerdpResult(result));
    assert.ok(result.durationMs < FAST_FAILURE_BOUND_MS, describeXfreerdpResult(result));
  });

  test('a gateway on a closed port fails fast (exit 143)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const closedPort = await freePort();
    const result = await runXfreerdp(
      [sharedTarget(), ...XFREERDP_BASE_ARGS, `/g:127.0.0.1:${closedPort}`, '/gt:http', '/gat:abc', XFREERDP_AUTH_ONLY],
      { timeoutMs: AUTH_ONLY_TIMEOUT_MS },
    );
    assert.equal(result.exitCode, XFREERDP_EXIT.TLS_CONNECT_FAILED, describeXfreerdpResult(result));
    assert.ok(result.durationMs < FAST_FAILURE_BOUND_MS, describeXfreerdpResult(result));
  });

  test('a silent gateway hangs the client; the harness timeout ends it', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // A listener that accepts and never answers: FreeRDP waits for the TLS handshake forever (/timeout:
    // does not help), so gateway tests must always pass a timeout.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const address = silent.address();
    assert.ok(address !== null && typeof address === 'object');
    const result = await runXfreerdp(
      [
        sharedTarget(),
        ...XFREERDP_BASE_ARGS,
        `/g:127.0.0.1:${address.port}`,
        '/gt:http',
        '/gat:abc',
        XFREERDP_AUTH_ONLY,
      ],
      { timeoutMs: 3_000 },
    );
    assert.equal(result.timedOut, true, describeXfreerdpResult(result));
    assert.ok(result.durationMs >= 3_000 && result.durationMs < 3_000 + FAST_FAILURE_BOUND_MS);
  });

  test('a long-lived client stays connected and exits when killed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const client = await startXfreerdp([sharedTarget(), ...XFREERDP_BASE_ARGS]);
    t.after(() => client.stop());
    await client.waitForActive(AUTH_ONLY_TIMEOUT_MS);
    await sleep(2_000);
    assert.ok(client.running, client.process.describe());
    const result = await client.kill();
    assert.equal(client.running, false);
    // FreeRDP catches SIGTERM, logs a backtrace ("Caught signal 'Terminated'") and dies of the signal.
    assert.equal(result.signal, 'SIGTERM', describeXfreerdpResult(result));
    t.diagnostic(`killed long-lived client: ${describeXfreerdpResult(result, 0)}`);
    await client.stop();
    assert.deepEqual(await processesInGroups([client.pid]), []);
  });

  test('a long-lived client exits 131 when the server goes away', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const ownServer = await startShadowServer();
    t.after(() => ownServer.stop());
    const client = await startXfreerdp([xfreerdpTarget(ownServer.host, ownServer.port), ...XFREERDP_BASE_ARGS]);
    t.after(() => client.stop());
    await client.waitForActive(AUTH_ONLY_TIMEOUT_MS);
    await ownServer.process.stop({ signal: 'SIGKILL' });
    const result = await client.waitForExit(FAST_FAILURE_BOUND_MS);
    assert.equal(result.exitCode, XFREERDP_EXIT.CONN_FAILED, describeXfreerdpResult(result));
  });

  test('with NLA and a SAM file, a wrong password fails (exit 147)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const dir = await makeTempDir('sam');
    t.after(() => dir.remove());
    const samFile = join(dir.path, 'sam');
    // WinPR SAM line "user:domain:LM hash:NT hash:::"; NT hash = MD4(UTF-16LE("test")). node's OpenSSL 3
    // has no MD4, so the well-known value is written here; the successful login below proves it right.
    await writeFile(samFile, 'test::aad3b435b51404eeaad3b435b51404ee:0cb6948805f797bf2a82807973b89537:::\n');
    const nlaServer = await startShadowServer({ securityArgs: ['/sec:nla', `/sam-file:${samFile}`, '-auth'] });
    t.after(() => nlaServer.stop());
    const target = xfreerdpTarget(nlaServer.host, nlaServer.port);
    const common = ['/cert:ignore', '/sec:nla', '/u:test', XFREERDP_AUTH_ONLY];
    const good = await runXfreerdp([target, ...common, '/p:test'], { timeoutMs: AUTH_ONLY_TIMEOUT_MS });
    assert.equal(good.exitCode, XFREERDP_EXIT.SUCCESS, describeXfreerdpResult(good));
    const wrong = await runXfreerdp([target, ...common, '/p:wrong'], { timeoutMs: AUTH_ONLY_TIMEOUT_MS });
    assert.equal(wrong.exitCode, XFREERDP_EXIT.CONNECT_TRANSPORT_FAILED, describeXfreerdpResult(wrong));
  });
});

test('nothing the harness started is left running', { skip }, async () => {
  const groups = spawnedProcessGroups();
  assert.ok(groups.length > 0, 'the harness tests started processes');
  assert.deepEqual([...liveProcessGroups().values()], []);
  assert.deepEqual(await processesInGroups(groups.map((group) => group.pid)), []);
});
