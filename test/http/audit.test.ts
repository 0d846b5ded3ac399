/**
 * The audit log over real HTTP on 127.0.0.1, serving the product catalogue
 * over a fixture host with static tokens: one JSONL line per /mcp request
 * (a tool call in each era, a resource read, a 401, a 403, a tool error, a
 * JSON-RPC error, a parse error) with principal, era, method, tool/resource,
 * redacted args, duration, outcome, status, bytes, sessionRef and requestId;
 * planted secrets and tokens never reach the file; diag://admin/audit returns
 * the newest entries to an admin and 403 to anyone else.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { productCatalogue } from '../../src/catalogue/index.js';
import type { Toolset } from '../../src/contracts/scopes.js';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp } from '../../src/http/app.js';
import { createAuditLog } from '../../src/http/audit.js';
import type { AuditLog } from '../../src/http/audit.js';
import type { AuditEntry } from '../../src/contracts/audit.js';
import { createAuthenticator } from '../../src/http/auth/authenticate.js';
import { scopeIndex } from '../../src/catalogue/scope-index.js';
import { SCOPES } from '../../src/contracts/scopes.js';
import type { Scope } from '../../src/contracts/scopes.js';
import { sha256Hex } from '../../src/http/auth/static-tokens.js';
import { sessionRef } from '../../src/http/mcp-endpoint.js';
import { createProductFactory } from '../../src/app/product-factory.js';
import { FIXTURE_HOSTS, servicesAt } from '../fixtures/fixture-services.js';
import { ACCEPT, MODERN, delay, expectJsonRpcError, initializeBody, LEGACY_VERSIONS, legacyHeaders, modernMeta, postModern, readMessages, readResponse, within } from './helpers.js';
import { oneConnection } from './one-connection.js';

const TOOLSETS: Toolset[] = ['core', 'config'];
const TOKENS: Record<string, { token: string; scopes: Scope[] }> = {
  reader: { token: 'reader-token-AUDIT-0123456789abcdef', scopes: ['hostlens:read'] },
  admin: { token: 'admin-token-AUDIT-0123456789abcdef', scopes: [...SCOPES] },
};
const SECRET = 'hunter2-PLANTED-s3cr3t-value';
const V = LEGACY_VERSIONS[0];

describe('audit log (product catalogue, static tokens, real HTTP)', () => {
  let app: HttpApp;
  let url: string;
  let audit: AuditLog;
  let dir: string;
  let file: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-audit-'));
    file = join(dir, 'state', 'audit.jsonl');
    audit = createAuditLog({ path: file, maxBytes: 1024 * 1024, keep: 2 });
    const services = servicesAt(`${FIXTURE_HOSTS}idle`);
    services.audit = audit;
    app = createHttpApp({
      factory: createProductFactory({ services, toolsets: TOOLSETS }),
      port: 0,
      authenticator: createAuthenticator({ tokens: Object.entries(TOKENS).map(([name, t]) => ({ name, sha256: sha256Hex(t.token), scopes: t.scopes })) }),
      scopeIndex: scopeIndex(productCatalogue, TOOLSETS),
      telemetry: { audit },
    });
    ({ url } = await app.listen());
  });
  after(async () => {
    await app.close();
    await audit.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const auth = (who: string): Record<string, string> => ({ authorization: `Bearer ${TOKENS[who]?.token}` });
  /** initialize as `who` (request id `initId`, so its audit line can be found) and drain its answer; the session id. */
  const openSession = async (who: string, initId: string): Promise<string> => {
    const init = await fetch(url, { method: 'POST', headers: { ...legacyHeaders(V), ...auth(who) }, body: JSON.stringify(initializeBody(V, initId)) });
    const sid = init.headers.get('mcp-session-id');
    assert.ok(sid);
    await readMessages(init);
    return sid;
  };
  const lines = async (): Promise<AuditEntry[]> => {
    await audit.flush();
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditEntry);
  };
  /** The audit line of the request with this JSON-RPC id (waits: a line is written when the response ended). */
  const lineFor = async (requestId: string | number): Promise<AuditEntry> =>
    within(5_000, `audit line for ${requestId}`, (async () => {
      for (;;) {
        const found = (await lines()).filter((l) => l.requestId === requestId);
        if (found.length > 0) {
          assert.equal(found.length, 1, `one line per request: ${JSON.stringify(found)}`);
          return found[0]!;
        }
        await delay(10);
      }
    })());
  const call = (who: string, id: string, name: string, args: Record<string, unknown>): Promise<Response> =>
    postModern(url, { method: 'tools/call', id, params: { name, arguments: args, _meta: modernMeta() }, headers: auth(who) });

  test('a modern tool call: principal, era, method, tool, args, outcome ok, status, bytes equal to the body, duration', async () => {
    const sent = performance.now();
    const res = await call('reader', 'a-call', 'get_cpu', {});
    const body = await res.text();
    // The server's handling lies within this round trip: its duration is bounded by the one measured here
    // (which also says it is in milliseconds), whatever the machine's load.
    const roundTripMs = performance.now() - sent;
    assert.equal(res.status, 200);
    const line = await lineFor('a-call');
    assert.equal(line.principal, 'static:reader');
    assert.equal(line.era, 'modern');
    assert.equal(line.httpMethod, 'POST');
    assert.equal(line.method, 'tools/call');
    assert.equal(line.tool, 'get_cpu');
    assert.deepEqual(line.args, {});
    assert.equal(line.outcome, 'ok');
    assert.equal(line.httpStatus, 200);
    assert.equal(line.bytes, Buffer.byteLength(body));
    assert.ok(line.durationMs >= 0 && line.durationMs <= Math.ceil(roundTripMs), `${line.durationMs} ms of a ${roundTripMs} ms round trip`);
    assert.ok(Math.abs(Date.parse(line.ts) - Date.now()) < 60_000);
    assert.match(line.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(line.sessionRef, null);
  });

  test('a legacy resource read: era legacy, resource, sessionRef digest, bytes of the SSE stream', async () => {
    const sid = await openSession('reader', 'init-1');
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...legacyHeaders(V, sid), ...auth('reader') },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'read-1', method: 'resources/read', params: { uri: 'diag://thresholds' } }),
    });
    assert.match(res.headers.get('content-type') ?? '', /event-stream/);
    const text = await res.text();
    const line = await lineFor('read-1');
    assert.equal(line.era, 'legacy');
    assert.equal(line.method, 'resources/read');
    assert.equal(line.resource, 'diag://thresholds');
    assert.equal(line.outcome, 'ok');
    assert.equal(line.sessionRef, sessionRef(sid));
    assert.notEqual(line.sessionRef, sid);
    assert.equal(line.bytes, Buffer.byteLength(text));
    const initLine = await lineFor('init-1');
    assert.equal(initLine.method, 'initialize');
    assert.equal(initLine.principal, 'static:reader');
    assert.equal(initLine.sessionRef, sessionRef(sid), 'the initialize line carries the digest of the session it opened');
  });

  test('401 without or with a wrong token: principal unauthenticated, outcome http_401, the token never written', async () => {
    const before = (await lines()).length;
    const none = await postModern(url, { method: 'tools/call', id: 'no-token', params: { name: 'get_cpu', arguments: {}, _meta: modernMeta() } });
    assert.equal(none.status, 401);
    await none.body?.cancel();
    const wrongToken = 'wrong-token-NEVER-LOGGED-0123456789';
    const wrong = await postModern(url, { method: 'tools/call', id: 'bad-token', params: { name: 'get_cpu', arguments: {}, _meta: modernMeta() }, headers: { authorization: `Bearer ${wrongToken}` } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const all = await within(5_000, 'two more lines', (async () => {
      for (;;) {
        const l = await lines();
        if (l.length >= before + 2) return l;
        await delay(10);
      }
    })());
    const refused = all.slice(before).filter((l) => l.httpStatus === 401);
    assert.equal(refused.length, 2);
    for (const l of refused) {
      assert.equal(l.principal, 'unauthenticated');
      assert.equal(l.outcome, 'http_401');
      assert.equal(l.method, null, 'the body of an unauthenticated request is never read');
      assert.ok(l.bytes > 0);
    }
    const raw = readFileSync(file, 'utf8');
    assert.ok(!raw.includes(wrongToken) && !raw.includes(TOKENS.reader!.token) && !raw.includes(TOKENS.admin!.token), 'no token in the audit file');
  });

  test('403 insufficient_scope: the tool and principal recorded, outcome http_403', async () => {
    const res = await call('reader', 'forbidden-1', 'get_config', { path: '/etc/hostname' });
    await expectJsonRpcError(res, 403, -32000, { id: 'forbidden-1' });
    const line = await lineFor('forbidden-1');
    assert.equal(line.principal, 'static:reader');
    assert.equal(line.tool, 'get_config');
    assert.deepEqual(line.args, { path: '/etc/hostname' });
    assert.equal(line.outcome, 'http_403');
    assert.equal(line.httpStatus, 403);
  });

  test('a tool error (isError result) is tool_error; an unknown tool (JSON-RPC error) is rpc_error with its code', async () => {
    const bad = await call('reader', 'tool-err', 'get_cpu', { windowSec: 999 });
    const msg = await readResponse(bad);
    assert.equal((msg.result as { isError?: boolean }).isError, true);
    const line = await lineFor('tool-err');
    assert.equal(line.outcome, 'tool_error');
    assert.deepEqual(line.args, { windowSec: 999 });

    const unknown = await call('reader', 'rpc-err', 'no_such_tool', {});
    const err = await readResponse(unknown);
    assert.equal(err.error?.code, -32602);
    const l2 = await lineFor('rpc-err');
    assert.equal(l2.outcome, 'rpc_error');
    assert.equal(l2.rpcErrorCode, -32602);
    assert.equal(l2.tool, 'no_such_tool');
  });

  test('a legacy session used by another principal: 404, recorded under the caller with the session digest', async () => {
    const sid = await openSession('admin', 'init-admin');
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...legacyHeaders(V, sid), ...auth('reader') },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'hijack-1', method: 'tools/call', params: { name: 'get_cpu', arguments: {} } }),
    });
    await expectJsonRpcError(res, 404, -32001, { id: 'hijack-1' });
    const line = await lineFor('hijack-1');
    assert.equal(line.principal, 'static:reader');
    assert.equal(line.outcome, 'http_404');
    assert.equal(line.sessionRef, sessionRef(sid));
    assert.equal(line.tool, 'get_cpu');
  });

  test('a parse error: http_400, method null', async () => {
    const before = (await lines()).length;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...auth('reader') }, body: '{"jsonrpc": "2.0", "id": "parse-1", ' });
    await expectJsonRpcError(res, 400, -32700);
    const all = await within(5_000, 'the parse error line', (async () => {
      for (;;) {
        const l = await lines();
        if (l.length > before) return l;
        await delay(10);
      }
    })());
    const line = all.slice(before).find((l) => l.httpStatus === 400);
    assert.ok(line, JSON.stringify(all.slice(before)));
    assert.equal(line.outcome, 'http_400');
    assert.equal(line.method, null);
    assert.equal(line.principal, 'static:reader');
  });

  test('planted secrets in arguments never reach the file; their keys and the rest of the arguments do', async () => {
    const args = {
      grep: `password=${SECRET}`,
      nested: { api_key: SECRET, list: [`Authorization: Bearer ${SECRET}`, `postgres://u:${SECRET}@db/x`] },
      ['__proto__']: { polluted: true },
      long: 'x'.repeat(50_000),
    };
    const res = await call('admin', 'secret-1', 'get_cpu', args);
    await readResponse(res);
    const line = await lineFor('secret-1');
    assert.equal(line.outcome, 'tool_error', 'get_cpu refuses unknown keys');
    const raw = readFileSync(file, 'utf8');
    assert.ok(!raw.includes(SECRET), 'the secret must not be in the audit file');
    assert.ok(!raw.includes('hunter2'), 'not even a part of it');
    const text = JSON.stringify(line.args);
    assert.match(text, /password=\[REDACTED\]/);
    assert.match(text, /…\[\+\d+ chars\]/, 'the long string is clipped');
    for (const l of raw.split('\n').filter((x) => x !== '')) assert.ok(Buffer.byteLength(l) <= 4096, `a line stays ≤ 4 KiB (${Buffer.byteLength(l)})`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  });

  test('the audit file is 0600 in a 0700 directory it created', async () => {
    await audit.flush();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
  });

  test('diag://admin/audit: the newest entries, newest first, filterable; 403 for a principal without hostlens:admin', async () => {
    await (await call('reader', 'newest-1', 'get_memory', {})).text();
    await lineFor('newest-1');
    const read = async (who: string, uri: string, id: string): Promise<Response> =>
      postModern(url, { method: 'resources/read', id, params: { uri, _meta: modernMeta() }, headers: auth(who) });
    const res = await read('admin', 'diag://admin/audit', 'audit-read-1');
    const msg = await readResponse(res);
    const contents = (msg.result as { contents: Array<{ text: string }> }).contents;
    const body = JSON.parse(contents[0]!.text) as { enabled: boolean; entries: AuditEntry[]; returned: number };
    assert.equal(body.enabled, true);
    assert.ok(body.entries.length >= 5);
    assert.equal(body.returned, body.entries.length);
    const times = body.entries.map((e) => Date.parse(e.ts));
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1]! >= times[i]!, 'newest first');
    assert.equal(body.entries[0]!.requestId, 'newest-1', 'the newest completed request comes first');
    assert.ok(!contents[0]!.text.includes(SECRET));

    const filtered = await read('admin', 'diag://admin/audit?tool=get_cpu&limit=2', 'audit-read-2');
    const f = JSON.parse((((await readResponse(filtered)).result as { contents: Array<{ text: string }> }).contents[0]!).text) as {
      entries: AuditEntry[];
      truncated: { cutBy: string } | null;
    };
    assert.equal(f.entries.length, 2);
    assert.ok(f.entries.every((e) => e.tool === 'get_cpu'));
    assert.equal(f.truncated?.cutBy, 'limit');

    // SDK 2.4: resource-not-found is -32602 with data.uri.
    const bad = await readResponse(await read('admin', 'diag://admin/audit?limit=0', 'audit-read-3'));
    assert.equal(bad.error?.code, -32602);
    assert.match(bad.error?.message ?? '', /limit must be an integer 1–500/);

    const denied = await read('reader', 'diag://admin/audit', 'audit-denied');
    await expectJsonRpcError(denied, 403, -32000, { id: 'audit-denied' });
    assert.match(denied.headers.get('www-authenticate') ?? '', /insufficient_scope.*hostlens:admin/);
  });
});

describe('audit log: rate-limited requests', () => {
  test('a 429 is recorded under its principal with outcome http_429 (refused before its body was read: method null)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostlens-audit-429-'));
    const file = join(dir, 'audit.jsonl');
    const audit = createAuditLog({ path: file, maxBytes: 1024 * 1024, keep: 1 });
    const services = servicesAt(`${FIXTURE_HOSTS}idle`);
    const app = createHttpApp({ factory: createProductFactory({ services, toolsets: TOOLSETS }), port: 0, rateLimit: { requestsPerSec: 0.01, burst: 1 }, telemetry: { audit } });
    try {
      const { url } = await app.listen();
      const statuses: number[] = [];
      // One connection: without auth it is the client the bucket belongs to (src/server/tenant.ts).
      const conn = oneConnection();
      for (const id of ['rl-1', 'rl-2']) {
        const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_cpu', arguments: {}, _meta: modernMeta() } });
        const headers = { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'get_cpu' };
        const res = await conn.fetch(url, { method: 'POST', headers, body });
        statuses.push(res.status);
        await res.text();
      }
      conn.close();
      assert.deepEqual(statuses, [200, 429]);
      await app.close();
      await audit.close();
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
      // Auth off over HTTP: the principal is the connecting local user (this test's own uid).
      const local = `local:uid:${process.geteuid?.() ?? 0}`;
      assert.deepEqual(lines.map((l) => [l.principal, l.outcome]), [[local, 'ok'], [local, 'http_429']]);
      assert.equal(lines[0]!.requestId, 'rl-1');
      assert.equal(lines[1]!.method, null);
      assert.equal(lines[1]!.httpStatus, 429);
    } finally {
      await app.close();
      await audit.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
