/**
 * What the cluster tests share: raw legacy requests with a bearer token (to
 * address one replica or nginx and read the exact status, headers and body),
 * SDK clients in either era, bounded waits, and the one host change that
 * flips a replica's triage (its copy of proc/meminfo).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions, FetchLike } from '@modelcontextprotocol/client';
import { delay, within } from '../support/async.js';
import { bearer } from '../support/cluster.js';
import type { Replica } from '../support/cluster.js';

export const LEGACY = '2025-11-25';
export const MODERN = '2026-07-28';
export const OVERVIEW = 'diag://local/overview';
export const SESSION_GONE = -32001;

export function legacyHeaders(token: string, sessionId?: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': LEGACY,
    ...bearer(token),
    ...(sessionId !== undefined ? { 'mcp-session-id': sessionId } : {}),
    ...extra,
  };
}

export function post(url: string, token: string, sessionId: string | undefined, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: 'POST', headers: legacyHeaders(token, sessionId), body: JSON.stringify(body), signal: signal ?? AbortSignal.timeout(15_000) });
}

/** The JSON-RPC messages of a response, JSON or SSE (whole body). */
export async function messagesOf(res: Response): Promise<Array<{ id?: unknown; method?: string; result?: Record<string, unknown>; error?: { code: number; message: string } }>> {
  const text = await res.text();
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    return text
      .replace(/\r\n/g, '\n')
      .split('\n\n')
      .map((block) =>
        block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n'),
      )
      .filter((d) => d.trim() !== '')
      .map((d) => JSON.parse(d) as never);
  }
  return text.trim() === '' ? [] : [JSON.parse(text) as never];
}

/** initialize + notifications/initialized through `url`; the session id. */
export async function openSession(url: string, token: string): Promise<string> {
  const res = await post(url, token, undefined, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'cluster-test', version: '1.0.0' } },
  });
  const sid = res.headers.get('mcp-session-id');
  const messages = await messagesOf(res);
  assert.equal(res.status, 200, `initialize answered ${res.status}: ${JSON.stringify(messages)}`);
  assert.ok(sid, 'initialize issues Mcp-Session-Id');
  assert.ok(messages.some((m) => m.id === 0 && m.result), `initialize failed: ${JSON.stringify(messages)}`);
  const ack = await post(url, token, sid, { jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(ack.status, 202, `notifications/initialized answered ${ack.status}`);
  await ack.body?.cancel();
  return sid;
}

/** tools/call in a legacy session; asserts a successful result and returns it. */
export async function callOk(url: string, token: string, sid: string, id: number, name = 'get_memory', args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await post(url, token, sid, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  const messages = await messagesOf(res);
  assert.equal(res.status, 200, `${url} tools/call ${name} answered ${res.status}: ${JSON.stringify(messages)}`);
  const reply = messages.find((m) => m.id === id);
  assert.ok(reply?.result && reply.result.isError !== true, `${url} tools/call ${name}: ${JSON.stringify(messages).slice(0, 500)}`);
  return reply.result;
}

/** Asserts a JSON-RPC error answer (JSON body, never HTML) with `status` (and `code` when given); returns the error. */
export async function expectRpcError(res: Response, status: number, code?: number): Promise<{ code: number; message: string }> {
  const text = await res.text();
  assert.equal(res.status, status, `expected HTTP ${status}, got ${res.status}: ${text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/, `content-type ${res.headers.get('content-type')}`);
  const body = JSON.parse(text) as { jsonrpc?: string; error?: { code: number; message: string } };
  assert.equal(body.jsonrpc, '2.0');
  assert.ok(body.error && typeof body.error.code === 'number' && typeof body.error.message === 'string', text);
  if (code !== undefined) assert.equal(body.error.code, code, text);
  return body.error;
}

/** A 503 refusal: Retry-After in whole seconds and a JSON-RPC error body. */
export async function expectUnavailable(res: Response): Promise<{ code: number; message: string }> {
  const retryAfter = res.headers.get('retry-after');
  const error = await expectRpcError(res, 503);
  assert.match(retryAfter ?? '', /^\d+$/, `Retry-After is whole seconds, got ${retryAfter}`);
  return error;
}

/** An SDK client with `token`, in the legacy era or pinned to 2026-07-28; `fetch` to route its requests. */
export async function connectClient(url: string, token: string, era: 'legacy' | 'modern', fetchImpl?: FetchLike): Promise<Client> {
  const options: ClientOptions = era === 'modern' ? { versionNegotiation: { mode: { pin: MODERN } } } : {};
  const client = new Client({ name: `cluster-${era}`, version: '1.0.0' }, options);
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: bearer(token) }, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  await within(20_000, `connect (${era})`, client.connect(transport));
  assert.equal(client.getProtocolEra(), era);
  return client;
}

/** Polls `done` every 50 ms, at most `timeoutMs`. */
export async function waitUntil(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  await within(timeoutMs, what, (async () => {
    while (!(await done())) await delay(50);
  })());
}

/**
 * Sets MemAvailable in a replica's own proc/meminfo: 1 % of MemTotal makes the
 * memory assessment critical, the fixture's own figure leaves it ok. Only that
 * replica's overview watcher can see the change.
 */
export function setMemoryCritical(replica: Replica, critical: boolean): void {
  const file = join(replica.root, 'proc', 'meminfo');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/^MemAvailable:.*$/m, `MemAvailable: ${critical ? 81_304 : 7_402_112} kB`));
}

/** How many status changes this replica's own overview watcher has seen (its log). */
export const overviewChanges = (replica: Replica): number => replica.logs().filter((l) => l.msg === 'overview changed').length;
