import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  DOWNLOAD_LINK_TTL_MS,
  DownloadLinkLimitError,
  DownloadLinks,
  MAX_SPENT_LINKS,
  SPENT_LINK_MEMORY_MS,
} from '../../../main/web/download-links.ts';

const GRANT = { host: 'desk', device: 'phone', ttlSeconds: 3600 };

describe('DownloadLinks', () => {
  it('issues 256-bit base64url codes named in the audit by the start of their SHA-256', () => {
    const links = new DownloadLinks();
    const seen = new Set<string>();
    for (let index = 0; index < 4; index += 1) {
      const link = links.issue(GRANT);
      assert.match(link.code, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(link.code, 'base64url').length, 32);
      assert.equal(link.linkId, createHash('sha256').update(link.code).digest('hex').slice(0, 12));
      seen.add(link.code);
      links.take(link.code);
    }
    assert.equal(seen.size, 4);
  });

  it('gives a link once, then says used; after its time says expired; anything else is unknown', () => {
    let now = 1_000_000;
    const links = new DownloadLinks({ now: () => now });
    const link = links.issue(GRANT);
    assert.deepEqual(links.take(link.code), { outcome: 'ok', linkId: link.linkId, grant: GRANT });
    assert.equal(links.take(link.code).outcome, 'used');
    const late = links.issue(GRANT);
    now += DOWNLOAD_LINK_TTL_MS - 1;
    assert.equal(links.outstanding, 1);
    now += 1;
    assert.equal(links.outstanding, 0);
    assert.equal(links.take(late.code).outcome, 'expired');
    assert.deepEqual(links.take('not a code'), { outcome: 'unknown', linkId: undefined });
    assert.equal(links.take('A'.repeat(43)).outcome, 'unknown');
  });

  it('caps outstanding links; used and expired ones make room', () => {
    let now = 0;
    const links = new DownloadLinks({ now: () => now, maxOutstanding: 2 });
    const first = links.issue(GRANT);
    links.issue(GRANT);
    assert.throws(() => links.issue(GRANT), DownloadLinkLimitError);
    links.take(first.code);
    links.issue(GRANT);
    now += DOWNLOAD_LINK_TTL_MS;
    links.issue(GRANT);
    links.issue(GRANT);
    assert.equal(links.outstanding, 2);
  });

  it('forgets spent links after a day, and the oldest beyond the bound', () => {
    let now = 0;
    const links = new DownloadLinks({ now: () => now, maxOutstanding: MAX_SPENT_LINKS + 2 });
    const codes = Array.from({ length: MAX_SPENT_LINKS + 1 }, () => links.issue(GRANT).code);
    for (const code of codes) links.take(code);
    assert.equal(links.take(codes[0] ?? '').outcome, 'unknown', 'the oldest of too many spent links is forgotten');
    assert.equal(links.take(codes[1] ?? '').outcome, 'used');
    now += SPENT_LINK_MEMORY_MS;
    assert.equal(links.take(codes[1] ?? '').outcome, 'unknown');
  });
});
