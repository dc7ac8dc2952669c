/**
 * One-time download links over real HTTPS on loopback: `rdp.downloadLink` issues a link, `GET /download/<code>`
 * answers its .rdp file once (a signed file whose per-device token opens a real tunnel to the host), then 410; a
 * link past its ten minutes (an injected clock) 410; an unknown code 404. Every answer is no-store; issuing, the
 * use and each refusal write audit lines that carry the link's id and never the code; outstanding links are capped.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { CallInput, CallOutput } from '../../shared/ipc/contract.ts';
import { dataPaths } from '../../main/config/data-dir.ts';
import { createCallHandlers, dispatchCall } from '../../main/ipc/dispatch.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { DOWNLOAD_LINK_TTL_MS, DownloadLinks, MAX_OUTSTANDING_DOWNLOAD_LINKS } from '../../main/web/download-links.ts';
import { startTestGateway, type AuditRecord, type TestGateway } from '../helpers/gateway.ts';
import type { HttpsReply } from '../helpers/https-request.ts';
import { rdpLines, verifyRdpSignature } from '../helpers/rdp-signature.ts';
import { TargetServer } from '../helpers/targets.ts';
import { openTunnel } from '../helpers/tsgu-client.ts';

describe('one-time download links (/download/<code>)', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let target: TargetServer;
  let nowMs = Date.now();
  const links = new DownloadLinks({ now: () => nowMs });
  const handlers = () => createCallHandlers(gateway.service, silentLogger);
  const issue = async (input: CallInput<'rdp.downloadLink'>): Promise<CallOutput<'rdp.downloadLink'>> =>
    (await dispatchCall(handlers(), 'rdp.downloadLink', input, silentLogger, {
      via: 'web',
      client: '192.0.2.9',
    })) as CallOutput<'rdp.downloadLink'>;

  before(async () => {
    target = await TargetServer.start({ mode: 'echo' });
    gateway = await startTestGateway({ downloadLinks: links });
    await gateway.service.context.settings.update((settings) => ({ ...settings, publicNames: ['localhost'] }));
    await gateway.addHost({ name: 'desk', port: target.port });
  });
  after(async () => {
    await gateway.dispose();
    await target.close();
  });

  const fetchPath = (path: string, method = 'GET'): Promise<HttpsReply> =>
    gateway.request(method, path, { headers: { host: `localhost:${gateway.port}` } });
  const pathOf = (url: string): string => new URL(url).pathname;
  const codeOf = (url: string): string => pathOf(url).slice('/download/'.length);

  function assertNoCode(records: readonly AuditRecord[], code: string): void {
    for (const record of records) assert.ok(!JSON.stringify(record).includes(code), 'no audit line holds the code');
  }

  it('issues a link, gives its file once (a token that opens a tunnel), then 410 Gone; audited without the code', async () => {
    const audit = await gateway.auditFromNow();
    const link = await issue({ host: 'desk', device: 'Sam’s phone' });
    assert.match(link.url, new RegExp(`^https://localhost:${gateway.port}/download/[A-Za-z0-9_-]{43}$`));
    assert.equal(link.host, 'desk');
    assert.equal(link.device, 'Sam’s phone');
    assert.equal(Date.parse(link.expiresAt), nowMs + DOWNLOAD_LINK_TTL_MS);
    const issued = await audit((line) => line.event === 'download-link.issued');
    assert.equal(issued.host, 'desk');
    assert.equal(issued.via, 'web');
    assert.equal(issued.client, '192.0.2.9');
    assert.match(String(issued.linkId), /^[0-9a-f]{12}$/);

    const reply = await fetchPath(pathOf(link.url));
    assert.equal(reply.status, 200, reply.body.toString());
    assert.equal(reply.headers['content-type'], 'application/x-rdp');
    assert.equal(reply.headers['content-disposition'], 'attachment; filename="desk.rdp"');
    assert.equal(reply.headers['cache-control'], 'no-store');
    assert.equal(reply.headers['referrer-policy'], 'no-referrer');
    const lines = rdpLines(reply.body);
    assert.ok(lines.includes('full address:s:desk'));
    assert.ok(lines.includes(`gatewayhostname:s:localhost:${gateway.port}`));
    const verified = verifyRdpSignature(reply.body, { caFile: join(dataPaths(gateway.dataDir).tls, 'ca.pem') });
    assert.equal(verified.status, 0, verified.output);
    const token = lines.find((line) => line.startsWith('gatewayaccesstoken:s:'))?.slice('gatewayaccesstoken:s:'.length);
    assert.ok(token);
    const claims = decodeJwt(token);
    assert.deepEqual(claims.hosts, ['desk']);
    assert.equal(claims.device, 'Sam’s phone');
    const listed = gateway.service.issuedTokens.list().find((entry) => entry.jti === claims.jti);
    assert.equal(listed?.kind, 'device');
    assert.equal(listed.device, 'Sam’s phone');
    // The gateway itself accepts the token: a tunnel to the host opens and carries bytes.
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'desk', port: target.port });
    try {
      await target.connection(0);
    } finally {
      client.destroy();
    }
    const used = await audit((line) => line.event === 'download-link.used');
    assert.equal(used.linkId, issued.linkId);
    assert.equal(used.host, 'desk');
    assert.equal(used.client, '127.0.0.1');
    const tokenLine = await audit((line) => line.event === 'token.issued' && line.tokenId === claims.jti);
    assert.equal(tokenLine.via, 'link');
    assert.equal(tokenLine.kind, 'device');

    const again = await fetchPath(pathOf(link.url));
    assert.equal(again.status, 410);
    assert.equal(again.headers['cache-control'], 'no-store');
    assert.match(String(again.headers['content-type']), /^text\/plain/);
    assert.match(again.body.toString(), /already been used/);
    const refused = await audit((line) => line.event === 'download-link.refused');
    assert.equal(refused.reason, 'used');
    assert.equal(refused.linkId, issued.linkId);
    assertNoCode(await gateway.auditRecords(), codeOf(link.url));
    assert.ok(!JSON.stringify(gateway.logs).includes(codeOf(link.url)), 'no log line holds the code');
  });

  it('a link past its ten minutes is 410 Gone (injected clock) and issues no token', async () => {
    const audit = await gateway.auditFromNow();
    const link = await issue({ host: 'desk', device: 'tablet' });
    const tokensBefore = gateway.service.issuedTokens.list().length;
    nowMs += DOWNLOAD_LINK_TTL_MS;
    try {
      const reply = await fetchPath(pathOf(link.url));
      assert.equal(reply.status, 410);
      assert.equal(reply.headers['cache-control'], 'no-store');
      assert.match(reply.body.toString(), /expired/);
    } finally {
      nowMs = Date.now();
    }
    assert.equal(gateway.service.issuedTokens.list().length, tokensBefore);
    const refused = await audit((line) => line.event === 'download-link.refused');
    assert.equal(refused.reason, 'expired');
    assertNoCode(await gateway.auditRecords(), codeOf(link.url));
  });

  it('an unknown or malformed code is 404; other methods 405', async () => {
    const audit = await gateway.auditFromNow();
    const unknown = await fetchPath(`/download/${'x'.repeat(43)}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['cache-control'], 'no-store');
    assert.match(unknown.body.toString(), /no such download link/);
    const refused = await audit((line) => line.event === 'download-link.refused');
    assert.equal(refused.reason, 'unknown');
    assert.equal((await fetchPath('/download/short')).status, 404);
    assert.equal((await fetchPath('/download/')).status, 404);
    assert.equal((await fetchPath(`/download/${'x'.repeat(43)}`, 'POST')).status, 405);
  });

  it(`refuses a link for a host not on the list, and more than ${MAX_OUTSTANDING_DOWNLOAD_LINKS} outstanding links`, async () => {
    await assert.rejects(issue({ host: 'ghost', device: 'phone' }), { code: 'not-found' });
    await assert.rejects(issue({ host: 'desk', device: '' }), { code: 'invalid-input' });
    // Outstanding means issued, not used and not expired: let the earlier ones expire first.
    nowMs = Date.now() + DOWNLOAD_LINK_TTL_MS;
    const issued: CallOutput<'rdp.downloadLink'>[] = [];
    for (let index = 0; index < MAX_OUTSTANDING_DOWNLOAD_LINKS; index += 1) {
      issued.push(await issue({ host: 'desk', device: `phone ${index}` }));
    }
    await assert.rejects(issue({ host: 'desk', device: 'one too many' }), { code: 'conflict', message: /waiting/ });
    // Using one frees its place.
    assert.equal((await fetchPath(pathOf(issued[0]?.url ?? ''))).status, 200);
    await issue({ host: 'desk', device: 'now there is room' });
    assert.equal(links.outstanding, MAX_OUTSTANDING_DOWNLOAD_LINKS);
  });
});
