/**
 * Slow clients over raw node:net sockets, with tiny timeouts (head 1 s, body
 * 1 s): a client trickling its request head, or sending the head and then
 * trickling the body, is cut off (408 or the connection closed) within the
 * bound, while a legacy GET stream and a subscriptions/listen stream stay open
 * well past both timeouts. The server keeps serving throughout.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertStillServes, LEGACY_VERSIONS, legacyHeaders, modernMeta, openLegacySession, postModern, SseReader, startApp, within } from './helpers.js';
import type { Running } from './helpers.js';
import { createLogger } from '../../src/util/log.js';
import { trickle } from './limits-trickle.js';

const V = LEGACY_VERSIONS[0];
const HEAD_MS = 1_000;
const BODY_MS = 1_000;

describe('slow clients: header and body timeouts', () => {
  let r: Running;
  const lines: string[] = [];
  /** The 'client error' log lines (connection-level refusals never reach the request log). */
  const clientErrors = (): Array<{ status: number; code: string }> =>
    lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"client error"')).map((l) => JSON.parse(l) as { status: number; code: string });
  before(async () => {
    r = await startApp({ headerTimeoutMs: HEAD_MS, bodyTimeoutMs: BODY_MS, keepAliveMs: 300, logger: createLogger({ level: 'info', write: (line) => void lines.push(line) }) });
  });
  after(async () => {
    await r.app.close();
  });

  // Cut at the bounds is read from events, not from a stopwatch. The trickles outlast the hang guard (20 s, ten
  // times the timeouts), so the server closing first proves it cut a request that was still arriving. "Not too
  // early" is an order of timers in this one process: a reference timer set before connecting, for a point well
  // inside the bound (half a timeout before it), has fired by the time the cut is seen.
  test('a client trickling its request head (slowloris) gets 408 and is disconnected at the head timeout', async (tc) => {
    const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${r.port}\r\n`;
    const slowHeaders = 'X-Slow: ' + 'a'.repeat(600) + '\r\n';
    let referenceDue = false;
    const reference = setTimeout(() => (referenceDue = true), HEAD_MS / 2);
    const t = await trickle(r.port, head, slowHeaders, 50, 20_000);
    clearTimeout(reference);
    tc.diagnostic(`closed after ${Math.round(t.closedAfterMs)} ms (head timeout ${HEAD_MS} ms, checked every 250 ms)`);
    assert.match(t.received, /^HTTP\/1\.1 408 /, `answered: ${JSON.stringify(t.received.slice(0, 80))}`);
    assert.match(t.received, /\r\ncontent-type: application\/json\r\n/i);
    const answer = JSON.parse(t.received.slice(t.received.indexOf('\r\n\r\n') + 4)) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
    assert.deepEqual([answer.jsonrpc, answer.id, answer.error.code], ['2.0', null, -32000]);
    assert.match(answer.error.message, /^Request Timeout: .*headerTimeoutSec/);
    assert.equal(referenceDue, true, 'cut before half the head timeout had passed');
    assert.ok(t.written < head.length + slowHeaders.length, 'cut off before the head was complete');
    assert.deepEqual(clientErrors().map((e) => [e.status, e.code]), [[408, 'ERR_HTTP_REQUEST_TIMEOUT']], 'one log line for the refused connection');
    await assertStillServes(r.url);
  });

  test('headers then a body trickled byte by byte: cut off at head + body timeout', async (tc) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(200) }, _meta: modernMeta() } });
    const head =
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${r.port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n` +
      `MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: echo\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    // The reference falls after the head timeout: a cut there would mean the body was given no time of its own.
    let referenceDue = false;
    const reference = setTimeout(() => (referenceDue = true), HEAD_MS + BODY_MS / 2);
    const t = await trickle(r.port, head, body, 100, 20_000);
    clearTimeout(reference);
    tc.diagnostic(`closed after ${Math.round(t.closedAfterMs)} ms (head + body timeouts ${HEAD_MS + BODY_MS} ms)`);
    assert.ok(t.written < head.length + body.length, 'the body never completed');
    assert.equal(referenceDue, true, 'cut before the body had its own timeout');
    assert.ok(t.received === '' || /^HTTP\/1\.1 408 /.test(t.received), `answered: ${JSON.stringify(t.received.slice(0, 80))}`);
    await assertStillServes(r.url);
  });

  test('a legacy GET stream and a subscriptions/listen stream live well past head + body timeout', async () => {
    const sid = await openLegacySession(r.url, V);
    const get = await fetch(r.url, { method: 'GET', headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream' } });
    assert.equal(get.status, 200);
    assert.match(get.headers.get('content-type') ?? '', /^text\/event-stream/);
    const listen = await postModern(r.url, {
      method: 'subscriptions/listen',
      id: 'listen',
      params: { notifications: { toolsListChanged: true }, _meta: modernMeta() },
    });
    assert.equal(listen.status, 200);
    assert.match(listen.headers.get('content-type') ?? '', /^text\/event-stream/);
    const getReader = new SseReader(get);
    const listenReader = new SseReader(listen);
    const drain = async (reader: SseReader): Promise<void> => {
      while ((await reader.next()) !== null) {
        /* keep reading until the stream ends */
      }
    };
    const ended = { get: false, listen: false };
    const gets = drain(getReader).then(() => (ended.get = true));
    const listens = drain(listenReader).then(() => (ended.listen = true));
    // 3 s > head + body timeout (2 s), plus a check interval.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.deepEqual(ended, { get: false, listen: false }, 'long-lived SSE responses are not cut by the request timeouts');
    // Both are still live: the server still delivers on them.
    r.app.notify.toolsChanged();
    await getReader.cancel();
    await listenReader.cancel();
    await within(2_000, 'streams closed by the client', Promise.all([gets, listens]));
    const del = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(V, sid) });
    await del.body?.cancel();
    await assertStillServes(r.url);
  });
});
