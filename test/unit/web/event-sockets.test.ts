import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { EmitEvent } from '../../../main/ipc/events.ts';
import { createLogger } from '../../../main/logging/logger.ts';
import { AdminSessionTable, type AdminSession } from '../../../main/web/admin-sessions.ts';
import { EventSockets } from '../../../main/web/event-sockets.ts';

const CHECK_MS = 20;

describe('EventSockets: the check runs while a socket is open', () => {
  const sessions = new AdminSessionTable();
  // The events are watched while a socket is open: what the watcher heard, and how it sends.
  const watching: string[] = [];
  let emit: EmitEvent | undefined;
  const watch = (to: EmitEvent): (() => void) => {
    watching.push('start');
    emit = to;
    return () => {
      watching.push('stop');
      emit = undefined;
    };
  };
  const events = new EventSockets(sessions, createLogger({ write: () => undefined }), watch, CHECK_MS);
  // Which admin session the next upgrade belongs to (the route's checks are not under test here).
  let nextSession: AdminSession | undefined;
  let server: Server;

  before(async () => {
    server = createServer((_request, response) => response.writeHead(426).end());
    server.on('upgrade', (request, socket: Socket, head: Buffer) => {
      if (nextSession) events.accept(request, socket, head, nextSession);
      else socket.destroy();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  after(async () => {
    events.close();
    server.close();
    await once(server, 'close');
  });

  const open = async (options: { autoPong?: boolean } = {}): Promise<{ ws: WebSocket; key: string }> => {
    const { session } = sessions.create('127.0.0.1');
    nextSession = session;
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, options);
    await once(ws, 'open');
    return { ws, key: session.key };
  };

  it('closes the socket of an ended session, again after the last socket closed and another opened', async () => {
    for (let round = 0; round < 2; round++) {
      const { ws, key } = await open();
      const closed = once(ws, 'close');
      sessions.delete(key);
      const [code] = (await closed) as [number];
      assert.equal(code, 1008, `round ${round}`);
      // The gateway's side of the close (which stops the check when it was the last socket) follows the client's.
      for (let wait = 0; wait < 200 && events.size > 0; wait++) await sleep(5);
      assert.equal(events.size, 0);
    }
  });

  it('watches the events from the first socket opened to the last one closed, and sends them to every socket', async () => {
    watching.length = 0;
    const first = await open();
    const second = await open();
    assert.deepEqual(watching, ['start']);
    const heard = Promise.all([first.ws, second.ws].map((ws) => once(ws, 'message')));
    emit?.('sessions.changed', []);
    for (const [data] of (await heard) as [Buffer][]) {
      assert.deepEqual(JSON.parse(data.toString('utf8')), { event: 'sessions.changed', payload: [] });
    }
    first.ws.close();
    for (let wait = 0; wait < 200 && events.size > 1; wait++) await sleep(5);
    assert.deepEqual(watching, ['start'], 'one socket is still open');
    second.ws.close();
    for (let wait = 0; wait < 200 && events.size > 0; wait++) await sleep(5);
    assert.deepEqual(watching, ['start', 'stop']);
    assert.equal(emit, undefined);
  });

  it('drops a socket that stops answering pings', async () => {
    const { ws } = await open({ autoPong: false });
    const pinged = once(ws, 'ping');
    const closed = once(ws, 'close');
    await pinged;
    const [code] = (await closed) as [number];
    assert.equal(code, 1006, 'terminated, not closed');
  });
});
