import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { loadOrCreateCertificates, type TlsMaterial } from '../../../main/certs/certificate-store.ts';
import { silentLogger } from '../../../main/logging/logger.ts';

/** Connects, reads until the server closes, and reports whether the peer was authorized. */
async function connect(options: tls.ConnectionOptions): Promise<{ authorized: boolean; data: string }> {
  const socket = tls.connect(options);
  socket.setEncoding('utf8');
  let data = '';
  socket.on('data', (chunk: string) => {
    data += chunk;
  });
  await once(socket, 'secureConnect');
  const authorized = socket.authorized;
  await once(socket, 'end');
  socket.destroy();
  return { authorized, data };
}

describe('TLS handshake over loopback with the generated material', () => {
  let root: string;
  let material: TlsMaterial;
  let server: tls.Server;
  let port: number;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'homegate-tls-'));
    material = await loadOrCreateCertificates(join(root, 'certs'), { publicNames: [], logger: silentLogger });
    server = tls.createServer({ cert: material.chainPem, key: material.keyPem }, (socket) => {
      socket.end('hello');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('a client that trusts the CA connects to localhost, authorized', async () => {
    const result = await connect({ host: '127.0.0.1', port, ca: material.caCertPem, servername: 'localhost' });
    assert.deepEqual(result, { authorized: true, data: 'hello' });
  });

  it('a client that trusts the CA connects to 127.0.0.1 by IP (IP SAN)', async () => {
    const result = await connect({ host: '127.0.0.1', port, ca: material.caCertPem });
    assert.deepEqual(result, { authorized: true, data: 'hello' });
  });

  it('the server presents the chain: leaf then CA', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: material.caCertPem, servername: 'localhost' });
    await once(socket, 'secureConnect');
    const peer = socket.getPeerX509Certificate();
    socket.destroy();
    assert.equal(peer?.fingerprint256, material.fingerprintSha256);
    assert.equal(peer?.issuerCertificate?.fingerprint256, material.caFingerprintSha256);
  });

  it('a client without the CA fails with an unverified-certificate error', async () => {
    await assert.rejects(
      connect({ host: '127.0.0.1', port, servername: 'localhost' }),
      (error: NodeJS.ErrnoException) =>
        ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'].includes(
          error.code ?? '',
        ),
    );
  });

  it('a client that trusts the CA still rejects a name the certificate does not cover', async () => {
    await assert.rejects(
      connect({ host: '127.0.0.1', port, ca: material.caCertPem, servername: 'not-covered.example.test' }),
      { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    );
  });
});
