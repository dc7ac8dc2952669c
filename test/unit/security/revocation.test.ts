import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../../main/logging/logger.ts';
import {
  EMPTY_JRL,
  JRL_FILE_NAME,
  JrlFileError,
  LOCAL_REVOCATIONS_FILE_NAME,
  RevocationList,
  StaleJrlError,
} from '../../../main/security/revocation.ts';
import { NIL_UUID, type JrlClaims } from '../../../main/security/tokens.ts';

const posixOnly = { skip: process.platform === 'win32' ? 'file modes are POSIX' : false };

function jrl(iat: number, lists: JrlClaims['jrl']): JrlClaims {
  return { jti: randomUUID(), iat, jrl: lists };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('RevocationList (JRL)', () => {
  let dir: string;
  let path: string;
  const opened: RevocationList[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-jrl-'));
    path = join(dir, JRL_FILE_NAME);
  });

  afterEach(async () => {
    for (const list of opened.splice(0)) list.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(): Promise<RevocationList> {
    const list = await RevocationList.open(path, silentLogger);
    opened.push(list);
    return list;
  }

  /** Replaces the file the way another process's atomic save does. */
  async function writeExternally(content: string): Promise<void> {
    const temp = join(dir, `.external-${randomUUID()}.tmp`);
    await writeFile(temp, content, { mode: 0o600 });
    await rename(temp, path);
  }

  it('starts empty (nil jti, iat 0) and revokes nothing', async () => {
    const list = await open();
    assert.deepStrictEqual(list.current, EMPTY_JRL);
    assert.equal(list.current.jti, NIL_UUID);
    assert.equal(list.isRevoked({ jti: randomUUID() }), false);
    assert.equal(list.size, 0);
  });

  it('puts a newer list in force, saved as a 0600 file, and finds tokens by any listed claim', posixOnly, async () => {
    const list = await open();
    const jti = randomUUID();
    const aid = randomUUID();
    const next = jrl(100, { jti: [jti], jet_aid: [aid.toUpperCase()], port: [3389] });
    await list.replace(next);
    assert.deepStrictEqual(list.current, next);
    assert.deepStrictEqual(JSON.parse(await readFile(path, 'utf8')), next);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(list.isRevoked({ jti }), true);
    assert.equal(list.isRevoked({ jti: jti.toUpperCase() }), true, 'UUIDs compare without regard to case');
    assert.equal(list.isRevoked({ jti: randomUUID(), jet_aid: aid }), true);
    assert.equal(list.isRevoked({ port: 3389 }), true);
    assert.equal(list.isRevoked({ port: '3389' }), false, 'a number and a string are different values');
    assert.equal(list.isRevoked({ jti: randomUUID(), jet_aid: randomUUID() }), false);
    assert.equal(list.isRevoked({ jti: [jti] }), false, 'only scalar claims are compared');
    assert.equal(list.size, 3);
  });

  it('accepts a list only if it is newer (iat): equal and older ones are refused and change nothing', async () => {
    const list = await open();
    const current = jrl(200, { jti: [randomUUID()] });
    await list.replace(current);
    for (const iat of [200, 199, 0]) {
      await assert.rejects(list.replace(jrl(iat, {})), (error) => {
        assert.ok(error instanceof StaleJrlError);
        assert.equal(error.offeredIat, iat);
        assert.equal(error.currentIat, 200);
        return true;
      });
    }
    assert.deepStrictEqual(list.current, current);
    assert.deepStrictEqual(JSON.parse(await readFile(path, 'utf8')), current);
    await list.replace(jrl(201, {}));
    assert.equal(list.current.iat, 201);
  });

  it('serialises concurrent replacements: the older loses even when it is checked second', async () => {
    const list = await open();
    const results = await Promise.allSettled([list.replace(jrl(20, {})), list.replace(jrl(10, {}))]);
    assert.equal(results[0]?.status, 'fulfilled');
    assert.equal(results[1]?.status, 'rejected');
    assert.equal(list.current.iat, 20);
  });

  it('tells listeners about each new list, with the previous one', async () => {
    const list = await open();
    const seen: [number, number][] = [];
    list.onChange(({ pushed, previous }) => seen.push([pushed.iat, previous.iat]));
    await list.replace(jrl(5, {}));
    await list.replace(jrl(6, {}));
    assert.deepStrictEqual(seen, [
      [5, 0],
      [6, 5],
    ]);
  });

  it('reloads the saved list at start', async () => {
    const jti = randomUUID();
    await (await open()).replace(jrl(300, { jti: [jti] }));
    const reopened = await open();
    assert.equal(reopened.current.iat, 300);
    assert.equal(reopened.isRevoked({ jti }), true);
  });

  it('refuses to open a corrupt or invalid file (failing open would un-revoke tokens), naming the remedy', async () => {
    for (const content of ['{not json', JSON.stringify({ jti: 'x', iat: 1, jrl: {} }), JSON.stringify({ iat: 1 })]) {
      await writeFile(path, content);
      await assert.rejects(RevocationList.open(path, silentLogger), (error) => {
        assert.ok(error instanceof JrlFileError);
        assert.match(error.message, new RegExp(JRL_FILE_NAME));
        assert.match(error.message, /delete it/);
        return true;
      });
    }
  });

  it('follows a newer list written by another process, and ignores older or broken ones', async () => {
    const list = await open();
    await list.replace(jrl(400, {}));
    list.watch();
    const jti = randomUUID();
    let changes = 0;
    list.onChange(() => (changes += 1));

    await writeExternally(JSON.stringify(jrl(300, { jti: [jti] })));
    await writeExternally('{broken');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(list.current.iat, 400);
    assert.equal(list.isRevoked({ jti }), false);

    await writeExternally(JSON.stringify(jrl(401, { jti: [jti] })));
    await waitFor('the newer list', () => list.current.iat === 401);
    assert.equal(list.isRevoked({ jti }), true);
    assert.equal(changes, 1);
  });

  it('keeps local revocations when a pushed list replaces the provisioner list, and reloads both at start', async () => {
    const list = await open();
    const local = randomUUID();
    const pushed = randomUUID();
    await list.revokeTokenIds([local]);
    await list.replace(jrl(500, { jti: [pushed] }));
    assert.equal(list.isRevoked({ jti: local }), true, 'a pushed list must not undo a local revocation');
    assert.equal(list.isRevoked({ jti: pushed }), true);
    await list.replace(jrl(501, {}));
    assert.equal(list.isRevoked({ jti: local }), true, 'an empty pushed list must not undo a local revocation');
    assert.equal(list.isRevoked({ jti: pushed }), false, 'the provisioner can un-revoke what it pushed');
    assert.deepStrictEqual((JSON.parse(await readFile(path, 'utf8')) as JrlClaims).jrl, {});
    const reopened = await open();
    assert.equal(reopened.isRevoked({ jti: local }), true);
    assert.equal(reopened.size, 1);
    assert.deepStrictEqual(reopened.effective.jrl, { jti: [local] });
  });

  it('tells listeners where a change came from: api (with the client), local, or another process', async () => {
    const list = await open();
    list.watch();
    const seen: string[] = [];
    list.onChange(({ source, client, values }) => seen.push(`${source} ${client ?? '-'} ${values}`));
    await list.replace(jrl(10, { jti: [randomUUID()] }), { client: '192.0.2.7' });
    await list.revokeTokenIds([randomUUID()]);
    const other = await open();
    await other.revokeTokenIds([randomUUID()]);
    await waitFor("the other process's revocation", () => list.size === 3);
    assert.deepStrictEqual(seen, ['api 192.0.2.7 1', 'local - 2', 'file - 3']);
  });

  it('two processes revoking at once both keep their revocation (each re-reads the saved set under a lock)', async () => {
    const ui = await open();
    const cli = await open();
    ui.watch();
    const jtis = Array.from({ length: 6 }, () => randomUUID());
    await Promise.all(jtis.map((jti, i) => (i % 2 === 0 ? ui : cli).revokeTokenIds([jti])));
    const saved = JSON.parse(await readFile(join(dir, LOCAL_REVOCATIONS_FILE_NAME), 'utf8')) as { jti: string[] };
    assert.deepStrictEqual([...saved.jti].sort(), [...jtis].sort());
    await waitFor('the watcher to see every revocation', () => jtis.every((jti) => ui.isRevoked({ jti })));
    const reopened = await open();
    for (const jti of jtis) assert.equal(reopened.isRevoked({ jti }), true, jti);
  });

  it("a data directory from before the local set: the JRL file's token ids become local once", async () => {
    const old = randomUUID();
    await writeFile(path, JSON.stringify(jrl(700, { jti: [old], jet_aid: [randomUUID()] })));
    const list = await open();
    assert.deepStrictEqual(list.local, [old]);
    await list.replace(jrl(701, {}));
    assert.equal(list.isRevoked({ jti: old }), true);
    assert.deepStrictEqual((await open()).local, [old]);
  });
});
