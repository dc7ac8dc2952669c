import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseRdgConnectionId } from '../../../../main/gateway/http/connection-id.ts';

describe('parseRdgConnectionId', () => {
  it('accepts a braced GUID as FreeRDP sends it, in one case', () => {
    assert.equal(
      parseRdgConnectionId('{3F2504E0-4F89-11D3-9A0C-0305E82C3301}'),
      '{3f2504e0-4f89-11d3-9a0c-0305e82c3301}',
    );
    assert.equal(
      parseRdgConnectionId(' {3f2504e0-4f89-11d3-9a0c-0305e82c3301} '),
      '{3f2504e0-4f89-11d3-9a0c-0305e82c3301}',
    );
  });

  const invalid: (string | undefined)[] = [
    undefined,
    '',
    '3F2504E0-4F89-11D3-9A0C-0305E82C3301',
    '{3F2504E0-4F89-11D3-9A0C-0305E82C3301',
    '3F2504E0-4F89-11D3-9A0C-0305E82C3301}',
    '{3F2504E04F8911D39A0C0305E82C3301}',
    '{3F2504E0-4F89-11D3-9A0C-0305E82C330}',
    '{3F2504E0-4F89-11D3-9A0C-0305E82C33011}',
    '{3F2504G0-4F89-11D3-9A0C-0305E82C3301}',
    '{{3F2504E0-4F89-11D3-9A0C-0305E82C3301}}',
    '{3F2504E0-4F89-11D3-9A0C-0305E82C3301}, {3F2504E0-4F89-11D3-9A0C-0305E82C3301}',
    '{3F2504E0 4F89-11D3-9A0C-0305E82C3301}',
    '{../../etc/passwd}',
  ];
  for (const value of invalid) {
    it(`refuses ${JSON.stringify(value)}`, () => assert.equal(parseRdgConnectionId(value), undefined));
  }
});
