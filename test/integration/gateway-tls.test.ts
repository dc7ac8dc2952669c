/**
 * What the gateway's TLS listener offers (a real gateway on loopback, node's TLS client): TLS 1.3, and beside it the
 * TLS 1.2 suites MSTSC negotiates — ECDHE-RSA with AES-GCM for the default RSA certificate, ECDHE-ECDSA with AES-GCM
 * once the certificate is ECDSA (`tls.keyType`, then a regeneration). Nothing older and nothing without forward
 * secrecy or AEAD.
 */
import assert from 'node:assert/strict';
import { connect, type ConnectionOptions } from 'node:tls';
import { describe, test } from 'node:test';
import { loadOrCreateCertificates } from '../../main/certs/certificate-store.ts';
import { dataPaths } from '../../main/config/data-dir.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { withGateway, type TestGateway } from '../helpers/gateway.ts';

interface Handshake {
  readonly protocol: string | null;
  readonly cipher: string;
  readonly keyType: string | undefined;
}

function handshake(gateway: TestGateway, options: ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: gateway.port,
      servername: 'localhost',
      ca: gateway.service.tls.caCertPem,
      ...options,
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      resolve({
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().standardName,
        keyType: peer?.publicKey.asymmetricKeyType,
      });
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

const tls12 = (ciphers: string): ConnectionOptions => ({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers });

describe('gateway TLS: protocol versions and cipher suites', () => {
  test('RSA by default: TLS 1.3, and TLS 1.2 with ECDHE-RSA AES-GCM; older or weaker is refused', async (t) => {
    const gateway = await withGateway(t);
    const modern = await handshake(gateway, {});
    assert.equal(modern.protocol, 'TLSv1.3');
    assert.equal(modern.keyType, 'rsa');
    for (const [suite, name] of [
      ['ECDHE-RSA-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
      ['ECDHE-RSA-AES256-GCM-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
    ] as const) {
      const result = await handshake(gateway, tls12(suite));
      assert.deepEqual(result, { protocol: 'TLSv1.2', cipher: name, keyType: 'rsa' });
    }
    // CBC without AEAD, RSA key exchange without forward secrecy, and TLS 1.1 are not offered.
    for (const options of [tls12('ECDHE-RSA-AES128-SHA'), tls12('AES128-GCM-SHA256')]) {
      await assert.rejects(handshake(gateway, options));
    }
    await assert.rejects(
      handshake(gateway, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }),
    );
  });

  test('with the ECDSA setting and a regeneration: TLS 1.2 with ECDHE-ECDSA AES-GCM', async (t) => {
    const gateway = await withGateway(t);
    const { service } = gateway;
    await service.context.settings.update((s) => ({ ...s, tls: { ...s.tls, keyType: 'ecdsa-p256' } }));
    await loadOrCreateCertificates(dataPaths(gateway.dataDir).tls, {
      publicNames: [],
      keyType: service.context.settings.get().tls.keyType,
      logger: silentLogger,
      regenerate: true,
    });
    await service.certificates.reload('files-changed');
    for (const [suite, name] of [
      ['ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
      ['ECDHE-ECDSA-AES256-GCM-SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
    ] as const) {
      const result = await handshake(gateway, tls12(suite));
      assert.deepEqual(result, { protocol: 'TLSv1.2', cipher: name, keyType: 'ec' });
    }
    await assert.rejects(handshake(gateway, tls12('ECDHE-RSA-AES128-GCM-SHA256')));
  });
});
