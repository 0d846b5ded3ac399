/**
 * Auth-off clients: the local-peer gate names each connection's process as
 * its client (tenant.ts `p:<pid>:<starttime>`), an unknown process leaves the
 * connection (or the legacy session) as the client, and past the per-uid
 * ceiling further clients of that uid share `p:overflow` while another uid
 * keeps its own.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { createLocalClients, OVERFLOW_CLIENT } from './local-clients.js';
import { createLocalPeerGate } from './local-peers.js';
import { connectionKey, tenantKey } from '../server/tenant.js';

const fakeSocket = (): Socket => Object.assign(new EventEmitter(), { destroyed: false }) as unknown as Socket;
const closeSocket = (s: Socket): void => void (s as unknown as EventEmitter).emit('close');

describe('tenant keys with auth off', () => {
  test('a process key wins over the session; without one, the session, then the connection', () => {
    const principal = 'local:uid:0';
    assert.equal(tenantKey({ principal, authOn: false, session: 'S', connection: 'p:42:7' }), 'local:uid:0|p:42:7');
    assert.equal(tenantKey({ principal, authOn: false, session: 'S', connection: 'c:1' }), 'local:uid:0|s:S');
    assert.equal(tenantKey({ principal, authOn: false, connection: 'c:1' }), 'local:uid:0|c:1');
    assert.equal(tenantKey({ principal: 'static:a', authOn: true, session: 'S', connection: 'p:42:7' }), 'static:a');
    const s = fakeSocket();
    assert.match(connectionKey(s), /^c:[0-9a-z]+$/);
    assert.equal(connectionKey(s), connectionKey(s), 'stable for the connection');
  });
});

describe('local clients: the per-uid ceiling', () => {
  test('distinct processes up to the ceiling, then one shared client; a slot frees when its last connection closes', () => {
    const clients = createLocalClients(3);
    const sockets = Array.from({ length: 6 }, fakeSocket);
    assert.equal(clients.bind(sockets[0]!, 1000, { pid: 10, startTime: 1 }), 'p:10:1');
    assert.equal(clients.bind(sockets[1]!, 1000, { pid: 10, startTime: 1 }), 'p:10:1', 'a second connection of a process is no new client');
    assert.equal(clients.bind(sockets[2]!, 1000, null), null, 'an unknown process: its connection is the client');
    assert.equal(clients.bind(sockets[3]!, 1000, { pid: 11, startTime: 1 }), 'p:11:1');
    assert.equal(clients.count(1000), 3);
    assert.equal(clients.bind(sockets[4]!, 1000, { pid: 12, startTime: 1 }), OVERFLOW_CLIENT);
    assert.equal(clients.bind(sockets[5]!, 1000, null), OVERFLOW_CLIENT);
    assert.equal(clients.bind(fakeSocket(), 0, { pid: 13, startTime: 1 }), 'p:13:1', 'another uid keeps its own ceiling');
    closeSocket(sockets[0]!);
    assert.equal(clients.bind(fakeSocket(), 1000, { pid: 14, startTime: 1 }), OVERFLOW_CLIENT, 'pid 10 still has a connection');
    closeSocket(sockets[1]!);
    assert.equal(clients.bind(fakeSocket(), 1000, { pid: 14, startTime: 1 }), 'p:14:1');
    assert.equal(clients.bind(fakeSocket(), 1000, { pid: 10, startTime: 2 }), OVERFLOW_CLIENT, 'a reused pid is a new client (here past the ceiling)');
  });
});

describe('local-peer gate: the process becomes the connection’s client', () => {
  const admit = async (gate: ReturnType<typeof createLocalPeerGate>, socket: Socket): Promise<boolean> => {
    const req = { url: '/mcp', socket, resume: () => undefined } as unknown as IncomingMessage;
    const res = { destroyed: false, headersSent: false, writeHead: () => res, end: () => undefined } as unknown as ServerResponse;
    return new Promise((resolve) => {
      (res as unknown as { end: () => void }).end = () => resolve(false);
      gate.admit(req, res, () => resolve(true));
    });
  };

  test('found: p:<pid>:<starttime>; not found: the connection; a refused uid is never looked up', async () => {
    const looked: number[] = [];
    const found = new Map([[501, { pid: 4242, startTime: 99 }]]);
    const gate = createLocalPeerGate({
      allowedUids: [1000],
      lookup: async (socket) => (socket as unknown as { peer: { uid: number; inode: number } }).peer,
      process: async (inode) => (looked.push(inode), found.get(inode) ?? null),
    });
    const known = Object.assign(fakeSocket(), { peer: { uid: 1000, inode: 501 } });
    assert.equal(await admit(gate, known), true);
    assert.equal(connectionKey(known), 'p:4242:99');
    const unknown = Object.assign(fakeSocket(), { peer: { uid: 0, inode: 502 } });
    assert.equal(await admit(gate, unknown), true);
    assert.match(connectionKey(unknown), /^c:/);
    const stranger = Object.assign(fakeSocket(), { peer: { uid: 4321, inode: 503 } });
    assert.equal(await admit(gate, stranger), false);
    assert.deepEqual(looked, [501, 502]);
  });
});
