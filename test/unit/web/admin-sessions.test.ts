import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdminSessionTable, csrfTokenMatches } from '../../../main/web/admin-sessions.ts';

describe('AdminSessionTable', () => {
  test('random 256-bit ids; the table keys sessions by a hash of the id, never the id', () => {
    const table = new AdminSessionTable();
    const { id, session } = table.create('192.0.2.1');
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.match(session.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(session.key, id);
    assert.equal(table.use(id), session);
    assert.equal(table.use(session.key.padEnd(43, 'A').slice(0, 43)), undefined);
    assert.equal(table.use('short'), undefined);
    assert.notEqual(table.create('192.0.2.1').id, id);
  });

  test('ends a session after the idle timeout, and after the absolute limit however active', () => {
    let now = 0;
    const table = new AdminSessionTable({ idleMs: 1000, absoluteMs: 5000, now: () => now });
    const idle = table.create('a');
    now = 999;
    assert.ok(table.use(idle.id));
    now = 1998;
    assert.ok(table.use(idle.id), 'activity moves the idle deadline');
    now = 2999;
    assert.equal(table.use(idle.id), undefined);

    const busy = table.create('b');
    for (now = 3000; now < 8000; now += 500) assert.ok(table.use(busy.id));
    now = 8000;
    assert.equal(table.use(busy.id), undefined, 'absolute limit');
    assert.equal(table.size, 0);
  });

  test('is bounded: a new session beyond the limit ends the least recently used one', () => {
    let now = 0;
    const table = new AdminSessionTable({ maxSessions: 3, now: () => now });
    const ids = ['a', 'b', 'c'].map((client) => {
      now += 1;
      return table.create(client).id;
    });
    now += 1;
    table.use(ids[0] ?? '');
    now += 1;
    table.create('d');
    assert.equal(table.size, 3);
    assert.ok(table.use(ids[0] ?? ''), 'recently used survives');
    assert.equal(table.use(ids[1] ?? ''), undefined, 'least recently used is gone');
  });

  test('CSRF tokens compare exactly', () => {
    const { session } = new AdminSessionTable().create('a');
    assert.equal(csrfTokenMatches(session, session.csrfToken), true);
    assert.equal(csrfTokenMatches(session, undefined), false);
    assert.equal(csrfTokenMatches(session, `${session.csrfToken.slice(0, 42)}A`), session.csrfToken.endsWith('A'));
    assert.equal(csrfTokenMatches(session, session.csrfToken.slice(1)), false);
  });
});
