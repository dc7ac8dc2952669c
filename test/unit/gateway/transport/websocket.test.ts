import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isAcceptableWebSocketKey,
  switchingProtocolsResponse,
  websocketAccept,
} from '../../../../main/gateway/transport/websocket.ts';

describe('websocketAccept', () => {
  it('matches the RFC 6455 section 1.3 example', () => {
    assert.equal(websocketAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it("hashes FreeRDP 2.x's non-base64 key exactly as sent (value from openssl sha1 | base64)", () => {
    assert.equal(websocketAccept('SRRXHF\\IRPBZZ[_'), 'EwFjlEWAfzlIaA0gAoLaItRhN7Y=');
  });

  it('writes the accept value into the 101 response', () => {
    assert.equal(
      switchingProtocolsResponse('dGhlIHNhbXBsZSBub25jZQ=='),
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    );
  });
});

describe('isAcceptableWebSocketKey', () => {
  it('accepts base64 keys and the printable keys FreeRDP 2.x sends', () => {
    for (const key of ['dGhlIHNhbXBsZSBub25jZQ==', 'SRRXHF\\IRPBZZ[_', '@ABCDEFGHIJKLMN_', 'x', 'k'.repeat(64)]) {
      assert.ok(isAcceptableWebSocketKey(key), key);
    }
  });

  it('refuses a missing, empty, overlong or non-printable key', () => {
    for (const key of [
      undefined,
      '',
      'k'.repeat(65),
      'with space',
      'tab\there',
      'cr\rlf',
      'nul\0',
      'caf\u00e9',
      '\u007f',
    ]) {
      assert.ok(!isAcceptableWebSocketKey(key), JSON.stringify(key));
    }
  });
});
