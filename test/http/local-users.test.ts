/**
 * Auth off: which local users the server serves, over real loopback HTTP with
 * the uid lookup replaced (the real /proc lookup with real second users is
 * test/hostile/local-users.test.ts). Root, the server's own user and the
 * configured uids are served as `local:uid:<n>`; anyone else, or a peer that
 * cannot be identified, gets 403 -32000 on everything but /healthz and
 * /readyz. And the configuration key that lists them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { loadConfig } from '../../src/app/config-load.js';
import { isHostlensError } from '../../src/contracts/errors.js';
import { parsePasswd, resolveLocalUsers } from '../../src/collectors/local-users.js';
import { createLogger } from '../../src/util/log.js';
import { delay, expectRawJsonRpcError, initializeBody, LEGACY_VERSIONS, legacyHeaders, MODERN, modernMeta, rawRequest, startApp, within } from './helpers.js';
import type { Running } from './helpers.js';

const OWN_UID = process.geteuid?.() ?? 0;
const STRANGER = 4_000_001;
const FRIEND = 4_000_002;

interface Line {
  msg: string;
  [key: string]: unknown;
}

describe('auth off: local users', () => {
  const lines: string[] = [];
  const log = (): Line[] => lines.map((l) => JSON.parse(l) as Line);
  let r: Running;
  /** The uid the next accepted connection is said to belong to (null: not identifiable; 'throw': the lookup fails). */
  let next: number | null | 'throw' = 0;
  let lookups = 0;
  let lookupDelayMs = 0;
  const ports: number[] = [];
  before(async () => {
    r = await startApp({
      logger: createLogger({ level: 'info', write: (line) => void lines.push(line) }),
      localPeers: {
        allowedUids: [FRIEND],
        lookup: async (socket: Socket) => {
          lookups += 1;
          ports.push(socket.remotePort ?? 0);
          const uid = next;
          if (lookupDelayMs > 0) await delay(lookupDelayMs);
          if (uid === 'throw') throw new Error('lookup failed');
          return uid;
        },
      },
    });
  });
  after(async () => {
    await r.app.close();
  });

  const legacy = LEGACY_VERSIONS[0];
  const initialize = (headers: Record<string, string> = {}) =>
    rawRequest(r.port, { headers: { ...legacyHeaders(legacy), ...headers }, chunks: [JSON.stringify(initializeBody(legacy))] });
  const modernCall = () =>
    rawRequest(r.port, {
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
      chunks: [JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' }, _meta: modernMeta() } })],
    });
  const as = async <T>(uid: number | null | 'throw', f: () => Promise<T>): Promise<T> => {
    next = uid;
    return f();
  };
  const requestLine = async (pred: (l: Line) => boolean): Promise<Line> =>
    within(5_000, 'a log line', (async () => {
      for (;;) {
        const found = log().find(pred);
        if (found) return found;
        await delay(10);
      }
    })());

  test('a user not allowed gets 403 -32000 (connection closed) on /mcp in both eras, GET, DELETE, /metrics and unknown paths', async () => {
    for (const [what, send] of [
      ['initialize', () => initialize()],
      ['modern tools/call', modernCall],
      ['GET /mcp', () => rawRequest(r.port, { method: 'GET', headers: { accept: 'text/event-stream' } })],
      ['DELETE /mcp', () => rawRequest(r.port, { method: 'DELETE', headers: { 'mcp-session-id': 'x' } })],
      ['GET /metrics', () => rawRequest(r.port, { method: 'GET', path: '/metrics' })],
      ['GET /elsewhere', () => rawRequest(r.port, { method: 'GET', path: '/elsewhere' })],
    ] as const) {
      const res = await as(STRANGER, send);
      const body = expectRawJsonRpcError(res, 403, -32000);
      assert.match(body.error?.message ?? '', /^Forbidden: authentication is off and this local user is not allowed/, what);
      assert.equal(res.headers.connection, 'close', what);
      assert.doesNotMatch(res.body, /4000001|proc|uid/, `${what}: no internals in the body`);
    }
    const refused = await requestLine((l) => l.msg === 'client error' && l.status === 403);
    assert.equal(refused.code, 'LOCAL_USER_NOT_ALLOWED');
    assert.equal(refused.uid, STRANGER);
    assert.equal(log().filter((l) => l.msg === 'request').length, 0, 'refused before the app: no request reached it');
  });

  test('an unidentifiable peer (not found, or the lookup failing) is refused: fail closed', async () => {
    for (const who of [null, 'throw'] as const) {
      const res = await as(who, () => initialize());
      const body = expectRawJsonRpcError(res, 403, -32000);
      assert.match(body.error?.message ?? '', /could not be identified/);
    }
    assert.ok(log().some((l) => l.msg === 'client error' && l.code === 'LOCAL_PEER_UNKNOWN'));
  });

  test('/healthz and /readyz stay open to anyone (they say nothing about the host)', async () => {
    for (const path of ['/healthz', '/readyz', '/healthz?x=1']) {
      const res = await as(STRANGER, () => rawRequest(r.port, { method: 'GET', path }));
      assert.equal(res.status, 200, `${path}: ${res.body}`);
    }
  });

  test('root, the server user and allowedLocalUsers are served, each as its own principal local:uid:<n>', async () => {
    for (const uid of [0, OWN_UID, FRIEND]) {
      const res = await as(uid, () => initialize());
      assert.equal(res.status, 200, `uid ${uid}: ${res.body}`);
      const line = await requestLine((l) => l.msg === 'request' && l.principal === `local:uid:${uid}`);
      assert.equal(line.rpcMethod, 'initialize');
      const call = await as(uid, modernCall);
      assert.equal(call.status, 200, call.body);
      assert.match(call.body, /"hi"/);
    }
  });

  test('a legacy session belongs to the local user that opened it: another allowed user gets 404', async () => {
    const opened = await as(0, () => initialize());
    const sid = String(opened.headers['mcp-session-id']);
    assert.ok(sid);
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const other = await as(FRIEND, () => rawRequest(r.port, { headers: legacyHeaders(legacy, sid), chunks: [list] }));
    expectRawJsonRpcError(other, 404, -32001);
    const same = await as(0, () => rawRequest(r.port, { headers: legacyHeaders(legacy, sid), chunks: [list] }));
    assert.equal(same.status, 200, same.body);
  });

  test('one lookup per connection: keep-alive requests reuse it; a slow lookup delays the request, body intact', async () => {
    next = 0;
    lookupDelayMs = 150;
    const before = lookups;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i += 1) {
        const body = JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'echo', arguments: { text: `kept-${i}` }, _meta: modernMeta() } });
        const res = await viaAgent(agent, r.port, body);
        assert.equal(res.status, 200, res.body);
        assert.match(res.body, new RegExp(`kept-${i}`));
      }
    } finally {
      lookupDelayMs = 0;
      agent.destroy();
    }
    assert.equal(lookups - before, 1, `${JSON.stringify(ports.slice(-3))}: three requests on one kept-alive connection, one lookup`);
  });
});

/** A modern tools/call through a keep-alive agent with one socket, so every request rides the same connection. */
function viaAgent(agent: Agent, port: number, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'echo' };
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/mcp', headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('auth on: the local user is not consulted', () => {
  test('a token holder is served whatever its uid, and no lookup runs', async () => {
    let lookups = 0;
    const r = await startApp({
      authToken: 'local-users-token-0123456789',
      localPeers: { lookup: async () => ((lookups += 1), STRANGER) },
    });
    try {
      const res = await rawRequest(r.port, {
        headers: { ...legacyHeaders(LEGACY_VERSIONS[0]), authorization: 'Bearer local-users-token-0123456789' },
        chunks: [JSON.stringify(initializeBody(LEGACY_VERSIONS[0]))],
      });
      assert.equal(res.status, 200, res.body);
      assert.equal(lookups, 0);
    } finally {
      await r.app.close();
    }
  });
});

describe('allowedLocalUsers setting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-local-users-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const load = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, file?: object) => {
    let configFile: string | undefined;
    if (file) {
      configFile = join(dir, 'config.json');
      writeFileSync(configFile, JSON.stringify(file));
    }
    return loadConfig({ flags, env, ...(configFile ? { configFile } : {}) });
  };

  test('default [] ; names (from /etc/passwd) and uids from the flag, the variable and the file become uids', () => {
    assert.deepEqual(load({}).allowedLocalUsers, []);
    assert.deepEqual(load({ allowedLocalUsers: ['root', '1234', 'nobody'] }).allowedLocalUsers, [0, 1234, 65534]);
    assert.deepEqual(load({}, { HOSTLENS_ALLOWED_LOCAL_USERS: 'nobody, 77' }).allowedLocalUsers, [65534, 77]);
    assert.deepEqual(load({}, {}, { allowedLocalUsers: [5, 'root', 5] }).allowedLocalUsers, [5, 0]);
  });

  test('bad entries and unknown names are refused naming the key and the source (exit 2 in the CLI)', () => {
    for (const [flags, env, pattern] of [
      [{ allowedLocalUsers: ['no-such-user-hostlens'] }, {}, /"allowedLocalUsers" \(from flag --allowed-local-users\): no user "no-such-user-hostlens" in \/etc\/passwd/],
      [{}, { HOSTLENS_ALLOWED_LOCAL_USERS: 'root,-bad' }, /allowedLocalUsers.*HOSTLENS_ALLOWED_LOCAL_USERS.*user names/],
      [{ allowedLocalUsers: [-1] }, {}, /allowedLocalUsers/],
      [{ allowedLocalUsers: ['a b'] }, {}, /allowedLocalUsers/],
      [{ allowedLocalUsers: [1.5] }, {}, /allowedLocalUsers/],
      [{ allowedLocalUsers: ['99999999999'] }, {}, /allowedLocalUsers/],
      [{ allowedLocalUsers: Array.from({ length: 65 }, (_, i) => i) }, {}, /allowedLocalUsers/],
      [{ allowedLocalUsers: 'root' }, {}, /allowedLocalUsers/],
    ] as const) {
      assert.throws(() => load(flags, env), (e: unknown) => isHostlensError(e, 'invalid_argument') && pattern.test(e.message), JSON.stringify(flags) + JSON.stringify(env));
    }
  });

  test('passwd parsing: the first line of a name wins; junk lines are skipped', () => {
    const users = parsePasswd('root:x:0:0::/root:/bin/sh\n\n#c\nbad\nalice:x:1000:1000::/h:/bin/sh\nalice:x:2000:1::/:/x\nbob:x:NaN:1::/:/x\n');
    assert.deepEqual([...users], [['root', 0], ['alice', 1000]]);
    assert.deepEqual(resolveLocalUsers(['alice', 7, 'bob', 'root'], 'root:x:0:0::/:/\nalice:x:1000:1::/:/\n'), { uids: [1000, 7, 0], unknown: ['bob'] });
  });
});
