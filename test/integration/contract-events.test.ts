/**
 * The contract events' session list against a real gateway's registry: built only while someone listens, sent at
 * most once an interval under a burst of starts and ends, and always ending on the final state. Sessions are
 * opened on the registry itself (no tunnel): the list's cost is the registry's, whatever opened them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import { SESSIONS_CHANGED_INTERVAL_MS, watchContractEvents } from '../../main/ipc/events.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { startGateway, type GatewayService } from '../../main/service.ts';
import type { SessionHandle } from '../../main/sessions/registry.ts';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('contract events: the session list', { timeout: 60_000 }, () => {
  let dataDir: string;
  let service: GatewayService;
  /** How many times the registry built the whole list. */
  let listsBuilt = 0;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'homegate-contract-events-'));
    service = await startGateway({ dataDir, logger: silentLogger, listen: { host: '127.0.0.1', port: 0 } });
    const list = service.sessions.list.bind(service.sessions);
    service.sessions.list = () => {
      listsBuilt += 1;
      return list();
    };
  });
  after(async () => {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const open = (name: string): SessionHandle =>
    service.sessions.open({
      transport: 'websocket',
      clientAddress: '127.0.0.1',
      clientName: name,
      tokenId: `jti-${name}`,
      host: 'desktop',
      target: '192.0.2.10:3389',
      terminate: () => undefined,
    });

  const endAll = (handles: SessionHandle[]): void => {
    for (const handle of handles.splice(0)) handle.end('client-closed');
  };

  it('builds no list while nobody listens; the first one after lists the sessions opened before', async () => {
    let listening = false;
    const lists: SessionInfo[][] = [];
    let statuses = 0;
    const stop = watchContractEvents(
      service,
      (name, payload) => {
        if (name === 'sessions.changed') lists.push(payload as SessionInfo[]);
        if (name === 'status.changed') statuses += 1;
      },
      { listening: () => listening },
    );
    const handles: SessionHandle[] = [];
    try {
      listsBuilt = 0;
      for (let index = 0; index < 50; index++) {
        handles.push(open(`QUIET${index}`));
        if (index % 10 === 9) await nextTurn();
      }
      handles.pop()?.end('client-closed');
      await nextTurn();
      assert.ok(statuses >= 5, 'the status still follows the sessions (the tray needs it)');
      assert.equal(listsBuilt, 0);
      assert.equal(lists.length, 0);

      listening = true;
      handles.push(open('LATE'));
      for (let wait = 0; wait < 100 && lists.length === 0; wait++) await nextTurn();
      assert.equal(listsBuilt, 1);
      const expected = [...Array.from({ length: 49 }, (_, index) => `QUIET${index}`), 'LATE'];
      assert.deepEqual(lists[0]?.map((session) => session.clientName).sort(), expected.sort());
    } finally {
      stop();
      endAll(handles);
    }
  });

  it('sends at most one list an interval under a burst, and the last one is the final state', async () => {
    const sent: { at: number; ids: string[] }[] = [];
    const stop = watchContractEvents(service, (name, payload) => {
      if (name === 'sessions.changed') {
        sent.push({ at: performance.now(), ids: (payload as SessionInfo[]).map((session) => session.id).sort() });
      }
    });
    const handles: SessionHandle[] = [];
    try {
      listsBuilt = 0;
      // 300 starts and 100 ends, each in its own turn of the event loop (as tunnels open and close).
      for (let index = 0; index < 300; index++) {
        handles.push(open(`BURST${index}`));
        await nextTurn();
      }
      for (const handle of handles.splice(0, 100)) {
        handle.end('client-closed');
        await nextTurn();
      }
      const finalIds = handles.map((handle) => handle.id).sort();
      const isFinal = (): boolean => JSON.stringify(sent.at(-1)?.ids) === JSON.stringify(finalIds);
      const deadline = performance.now() + 10 * SESSIONS_CHANGED_INTERVAL_MS;
      while (!isFinal() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(isFinal(), 'the final state arrives');
      assert.equal(finalIds.length, 200);
      assert.equal(listsBuilt, sent.length, 'a list is built only to be sent');
      for (let index = 1; index < sent.length; index++) {
        const gap = (sent[index]?.at ?? 0) - (sent[index - 1]?.at ?? 0);
        assert.ok(gap >= SESSIONS_CHANGED_INTERVAL_MS, `list ${index} came ${gap.toFixed(1)} ms after the one before`);
      }
    } finally {
      stop();
      endAll(handles);
    }
  });
});
