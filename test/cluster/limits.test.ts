/**
 * The legacy session limits hold for the cluster as a whole, not per replica:
 * three replicas behind nginx with `--max-sessions 2` (per principal 2) and a
 * 4 s idle TTL, two principals.
 * - Cap: principal ops holds one session (opened through replica 0), reader
 *   one (replica 1); another initialize by ops through any replica is 503 with
 *   Retry-After and a JSON-RPC error, although no replica holds two locally
 *   (with both at one session, no tenant holds more than the asker would, so
 *   nothing may be evicted). A DELETE through one replica frees the slot for
 *   every replica.
 * - TTL: sessions left idle past the TTL are 404 -32001 through every replica,
 *   and no longer count against the cap.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { delay } from '../support/async.js';
import { clusterSkip, startCluster, TOKENS } from '../support/cluster.js';
import type { Cluster, Replica } from '../support/cluster.js';
import { callOk, expectRpcError, expectUnavailable, LEGACY, legacyHeaders, openSession, post, SESSION_GONE } from './wire.js';

const TTL_SEC = 4;

const initialize = (r: Replica, token: string): Promise<Response> =>
  post(r.url, token, undefined, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'cluster-limits', version: '1.0.0' } },
  });

describe('cluster-wide session cap and idle TTL', { skip: clusterSkip, timeout: 180_000 }, () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({
      replicas: 3,
      env: { HOSTLENS_MAX_SESSIONS: '2', HOSTLENS_MAX_SESSIONS_PER_PRINCIPAL: '2', HOSTLENS_SESSION_TTL_SEC: String(TTL_SEC) },
    });
  });
  after(async () => {
    await c?.close();
  });

  const remove = async (r: Replica, token: string, sid: string): Promise<void> => {
    const res = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(token, sid), signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
    assert.equal(res.status, 200, `DELETE answered ${res.status}`);
  };

  test('the cap counts every replica: a third session is 503 with Retry-After through each one; a DELETE anywhere frees it', async () => {
    const [r0, r1, r2] = c.replicas as [Replica, Replica, Replica];
    const ops = await openSession(r0.url, TOKENS.ops);
    const reader = await openSession(r1.url, TOKENS.reader);
    for (const r of c.replicas) {
      const error = await expectUnavailable(await initialize(r, TOKENS.ops));
      assert.doesNotMatch(error.message, /redis|127\.0\.0\.1/i, 'the refusal names no backend');
    }
    // The refusals evicted nobody.
    await callOk(r2.url, TOKENS.ops, ops, 1);
    await callOk(r2.url, TOKENS.reader, reader, 2);

    await remove(r1, TOKENS.ops, ops);
    const again = await openSession(r2.url, TOKENS.ops);
    await callOk(r0.url, TOKENS.ops, again, 3);
    await remove(r0, TOKENS.ops, again);
    await remove(r2, TOKENS.reader, reader);
  });

  test('sessions idle past the TTL are 404 -32001 through every replica and leave the cap', async () => {
    const [r0, r1, r2] = c.replicas as [Replica, Replica, Replica];
    const ops = await openSession(r0.url, TOKENS.ops);
    const reader = await openSession(r1.url, TOKENS.reader);
    await expectUnavailable(await initialize(r2, TOKENS.ops));

    // Nothing touches them from here on: any request would restart their idle clock.
    await delay((TTL_SEC + 2) * 1_000);
    for (const [i, r] of c.replicas.entries()) {
      const res = await post(r.url, TOKENS.ops, ops, { jsonrpc: '2.0', id: 10 + i, method: 'tools/call', params: { name: 'get_memory', arguments: {} } });
      await expectRpcError(res, 404, SESSION_GONE);
    }
    await expectRpcError(await post(r0.url, TOKENS.reader, reader, { jsonrpc: '2.0', id: 20, method: 'ping' }), 404, SESSION_GONE);

    const fresh = [await openSession(r2.url, TOKENS.ops), await openSession(r0.url, TOKENS.reader)];
    await callOk(r1.url, TOKENS.ops, fresh[0] ?? '', 30);
  });
});
