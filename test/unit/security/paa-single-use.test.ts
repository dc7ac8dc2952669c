/** Single-use PAA tokens: the claim, the replay step of verifyPaaToken, and the revocation list's revokeTokenIds. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../main/logging/logger.ts';
import { ReplayCache } from '../../../main/security/replay-cache.ts';
import { EMPTY_JRL, LOCAL_REVOCATIONS_FILE_NAME, RevocationList } from '../../../main/security/revocation.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../../../main/security/signing-key.ts';
import { TokenError } from '../../../main/security/token-errors.ts';
import { issuePaaToken, verifyPaaToken, type VerificationKeyLookup } from '../../../main/security/tokens.ts';

const GATEWAY_ID = '7b0f1e0a-3c9d-4f5e-8a1b-2c3d4e5f6a7b';

describe('single-use PAA tokens and revocation by id', () => {
  let dir: string;
  let key: SigningKey;
  let keys: VerificationKeyLookup;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-su-'));
    key = await loadOrCreateSigningKey(join(dir, 'keys'), { logger: silentLogger });
    keys = (kid) => (kid === key.kid ? { key: key.publicKey, alg: key.alg, requireGatewayId: true } : undefined);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('an ordinary token carries no single-use or device claim and verifies any number of times', async () => {
    const { token, claims } = await issuePaaToken(key, { gatewayId: GATEWAY_ID, hosts: ['desk'], ttlSeconds: 60 });
    assert.equal(claims.single_use, undefined);
    assert.equal(claims.device, undefined);
    for (let i = 0; i < 3; i += 1) await verifyPaaToken(token, { keys, gatewayId: GATEWAY_ID });
  });

  test('a single-use token is refused without a replay cache (fail closed), and replays are refused with one', async () => {
    const { token, claims } = await issuePaaToken(key, {
      gatewayId: GATEWAY_ID,
      hosts: ['desk'],
      ttlSeconds: 60,
      singleUse: true,
      device: 'phone',
    });
    assert.equal(claims.single_use, true);
    assert.equal(claims.device, 'phone');
    await assert.rejects(verifyPaaToken(token, { keys, gatewayId: GATEWAY_ID }), (error: unknown) => {
      assert.ok(error instanceof TokenError);
      assert.equal(error.failure, 'unsupported');
      return true;
    });
    const cache = new ReplayCache({ reuseWindowSeconds: () => 10, maxReuses: () => 1 });
    const from = (address: string) => ({
      keys,
      gatewayId: GATEWAY_ID,
      replay: (jti: string, exp: number, now: Date) => cache.use(jti, address, exp, now),
    });
    await verifyPaaToken(token, from('192.0.2.1'));
    await verifyPaaToken(token, from('192.0.2.1')); // one quick reconnection from the same client
    for (const address of ['192.0.2.1', '198.51.100.9']) {
      await assert.rejects(verifyPaaToken(token, from(address)), (error: unknown) => {
        assert.ok(error instanceof TokenError);
        assert.equal(error.failure, 'replayed');
        return true;
      });
    }
  });

  test('revokeTokenIds adds ids to the saved local set, keeps what it held, and can forget expired ids', async () => {
    const path = join(dir, 'jrl.json');
    const list = await RevocationList.open(path, silentLogger);
    await list.revokeTokenIds(['AAAA-1', 'bbbb-2']);
    assert.deepEqual(list.local, ['aaaa-1', 'bbbb-2']);
    assert.equal(list.isRevoked({ jti: 'aaaa-1' }), true);
    // Two revocations at once: both land.
    await Promise.all([list.revokeTokenIds(['cccc-3']), list.revokeTokenIds(['dddd-4'])]);
    assert.deepEqual(list.local, ['aaaa-1', 'bbbb-2', 'cccc-3', 'dddd-4']);
    await list.revokeTokenIds(['eeee-5'], { forget: (jti) => jti === 'bbbb-2' });
    assert.deepEqual(list.local, ['aaaa-1', 'cccc-3', 'dddd-4', 'eeee-5']);
    const saved = JSON.parse(await readFile(join(dir, LOCAL_REVOCATIONS_FILE_NAME), 'utf8')) as { jti: string[] };
    assert.deepEqual(saved.jti, list.local);
    assert.deepEqual(list.current, EMPTY_JRL, 'the provisioner list is not touched');
    list.close();
  });
});
