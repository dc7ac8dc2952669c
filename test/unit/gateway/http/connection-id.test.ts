import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseRdgConnectionId, parseRdgCorrelationId } from '../../../../main/gateway/http/connection-id.ts';

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

describe('parseRdgCorrelationId', () => {
  it('accepts a GUID with or without braces and records it braced, in lower case', () => {
    const expected = '{7c9e6679-7425-40de-944b-e07fc1f90ae7}';
    assert.equal(parseRdgCorrelationId('{7C9E6679-7425-40DE-944B-E07FC1F90AE7}'), expected);
    assert.equal(parseRdgCorrelationId('7c9e6679-7425-40de-944b-e07fc1f90ae7'), expected);
    assert.equal(parseRdgCorrelationId(' {7c9e6679-7425-40de-944b-e07fc1f90ae7}\t'), expected);
  });

  const invalid: (string | undefined)[] = [
    undefined,
    '',
    'not a guid',
    '{7C9E6679-7425-40DE-944B-E07FC1F90AE7',
    '7C9E6679-7425-40DE-944B-E07FC1F90AE7}',
    '{7C9E6679-7425-40DE-944B-E07FC1F90AE7}, {7C9E6679-7425-40DE-944B-E07FC1F90AE7}',
    '{7C9E6679-7425-40DE-944B-E07FC1F90AE7}\n{"event":"forged"}',
    `{7C9E6679-7425-40DE-944B-E07FC1F90AE7}${' '.repeat(100)}`,
    'x'.repeat(10_000),
  ];
  for (const value of invalid) {
    it(`ignores ${JSON.stringify(value?.slice(0, 60))}`, () => assert.equal(parseRdgCorrelationId(value), undefined));
  }
});
