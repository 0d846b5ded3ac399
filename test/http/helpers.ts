/**
 * Shared helpers for the HTTP wire tests: a tiny test McpServer factory with
 * observable tools, an app starter bound to 127.0.0.1:0, raw request builders
 * for both protocol eras, and a small SSE reader. Everything is loopback-only
 * and every wait is bounded.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { McpServer } from '@modelcontextprotocol/server';
import type { ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp, HttpAppOptions } from '../../src/http/app.js';

export const MODERN = '2026-07-28';
export const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;
export const ACCEPT = 'application/json, text/event-stream';
export const LIST_TTL_MS = 4321;

/** What the test tools observed, so tests can assert on server-side effects. */
export interface Probe {
  started: number;
  aborted: number;
  finished: number;
  /** Resolves the next time a `slow` call starts. */
  nextStart(): Promise<void>;
  /** Resolves the next time a `slow` call sees its abort signal fire. */
  nextAbort(): Promise<void>;
}

export function createProbe(): Probe & { _emitStart(): void; _emitAbort(): void } {
  let startWaiters: Array<() => void> = [];
  let abortWaiters: Array<() => void> = [];
  return {
    started: 0,
    aborted: 0,
    finished: 0,
    nextStart: () => new Promise<void>((resolve) => startWaiters.push(resolve)),
    nextAbort: () => new Promise<void>((resolve) => abortWaiters.push(resolve)),
    _emitStart() {
      this.started += 1;
      const w = startWaiters;
      startWaiters = [];
      for (const f of w) f();
    },
    _emitAbort() {
      this.aborted += 1;
      const w = abortWaiters;
      abortWaiters = [];
      for (const f of w) f();
    },
  };
}

const sleep = (ms: number, signal?: AbortSignal): Promise<boolean> =>
  new Promise<boolean>((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The test catalogue:
 * - `echo {text}` → text plus structuredContent `{echo}`.
 * - `slow {ms}` → (one progress notification when asked, then) waits up to `ms` on its abort
 *   signal; records start/abort/finish in the probe.
 * - `progress_then_wait {waitMs}` → one progress notification (when asked), waits, then answers.
 */
export function createTestFactory(probe: ReturnType<typeof createProbe>): HttpAppOptions['factory'] {
  return () => {
    const server = new McpServer(
      { name: 'hostlens-http-test', version: '9.9.9' },
      {
        capabilities: { tools: {}, logging: {} },
        cacheHints: { 'tools/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' } },
      },
    );
    server.registerTool(
      'echo',
      {
        description: 'Echo the text back',
        inputSchema: z.object({ text: z.string() }),
        outputSchema: z.object({ echo: z.string() }),
      },
      async ({ text }) => ({ content: [{ type: 'text', text }], structuredContent: { echo: text } }),
    );
    server.registerTool(
      'slow',
      { description: 'Wait until aborted or the time is up', inputSchema: z.object({ ms: z.number().int().min(0).max(60_000) }) },
      async ({ ms }, ctx: ServerContext) => {
        probe._emitStart();
        const signal = ctx.mcpReq.signal;
        const token = ctx.mcpReq._meta?.progressToken;
        if (token !== undefined) {
          await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: 0, message: 'waiting' } });
        }
        const onAbort = (): void => probe._emitAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        const completed = await sleep(ms, signal);
        signal.removeEventListener('abort', onAbort);
        if (completed) probe.finished += 1;
        return { content: [{ type: 'text', text: completed ? 'done' : 'aborted' }] };
      },
    );
    server.registerTool(
      'progress_then_wait',
      { description: 'Send one progress notification, wait, answer', inputSchema: z.object({ waitMs: z.number().int().min(0).max(10_000) }) },
      async ({ waitMs }, ctx: ServerContext) => {
        const token = ctx.mcpReq._meta?.progressToken;
        if (token !== undefined) {
          await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2, message: 'half way' } });
        }
        await sleep(waitMs);
        return { content: [{ type: 'text', text: `waited ${waitMs}` }] };
      },
    );
    return server;
  };
}

export interface Running {
  app: HttpApp;
  url: string;
  port: number;
  probe: ReturnType<typeof createProbe>;
  /** `http://127.0.0.1:PORT` + path */
  at(path: string): string;
}

export async function startApp(options: Partial<HttpAppOptions> = {}): Promise<Running> {
  const probe = createProbe();
  const app = createHttpApp({ factory: createTestFactory(probe), port: 0, ...options });
  const { url, port } = await app.listen();
  return { app, url, port, probe, at: (path: string) => `http://127.0.0.1:${port}${path}` };
}

export { delay, within } from '../support/async.js';

// ---------------------------------------------------------------- modern era

export function modernMeta(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'wire-test', version: '1.0.0' },
    ...extra,
  };
}

export interface ModernCall {
  method: string;
  params?: Record<string, unknown>;
  id?: number | string;
  /** Header overrides; `null` removes a header. */
  headers?: Record<string, string | null>;
  signal?: AbortSignal;
}

/** POST one modern request with correct mirrored headers (unless overridden). */
export function postModern(url: string, call: ModernCall): Promise<Response> {
  const params = call.params ?? { _meta: modernMeta() };
  const body = { jsonrpc: '2.0', id: call.id ?? 1, method: call.method, params };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: ACCEPT,
    'mcp-protocol-version': MODERN,
    'mcp-method': call.method,
  };
  const name = (params as { name?: unknown; uri?: unknown }).name ?? (params as { uri?: unknown }).uri;
  if (typeof name === 'string') headers['mcp-name'] = name;
  for (const [k, v] of Object.entries(call.headers ?? {})) {
    if (v === null) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = v;
  }
  return fetch(url, { method: 'POST', headers, body: JSON.stringify(body), ...(call.signal ? { signal: call.signal } : {}) });
}

// ---------------------------------------------------------------- legacy era

export function initializeBody(version: string, id: number | string = 0): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'wire-test', version: '1.0.0' } },
  };
}

export function legacyHeaders(version: string, sessionId?: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: ACCEPT,
    'mcp-protocol-version': version,
    ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    ...extra,
  };
}

export function postLegacy(url: string, version: string, sessionId: string | undefined, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: legacyHeaders(version, sessionId),
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

/** initialize + notifications/initialized; returns the session id. */
export async function openLegacySession(url: string, version: string = LEGACY_VERSIONS[0]): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: legacyHeaders(version), body: JSON.stringify(initializeBody(version)) });
  assert.equal(res.status, 200, `initialize answered ${res.status}`);
  const sid = res.headers.get('mcp-session-id');
  assert.ok(sid, 'initialize must issue Mcp-Session-Id');
  const messages = await readMessages(res);
  const init = messages.find((m) => m.id === 0);
  assert.ok(init && 'result' in init, `initialize failed: ${JSON.stringify(messages)}`);
  const ack = await postLegacy(url, version, sid, { jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(ack.status, 202);
  await ack.body?.cancel();
  return sid;
}

// ---------------------------------------------------------------- bodies

export interface JsonRpcMessage {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
  retry?: number;
}

/** Parses an SSE text fragment into complete events (comment lines are skipped). */
export function parseSse(text: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const normalised = text.replace(/\r\n/g, '\n');
  const blocks = normalised.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const event: SseEvent = { data: '' };
    const data: string[] = [];
    let any = false;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      any = true;
      if (field === 'id') event.id = value;
      else if (field === 'event') event.event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry') event.retry = Number(value);
    }
    if (!any) continue;
    event.data = data.join('\n');
    events.push(event);
  }
  return { events, rest };
}

/** Reads SSE events incrementally from a response body. */
export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private queue: SseEvent[] = [];
  done = false;

  constructor(response: Response) {
    assert.ok(response.body, 'SSE response has no body');
    this.reader = response.body.getReader();
  }

  /** The next event, or null when the stream ended. */
  async next(): Promise<SseEvent | null> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued) return queued;
      if (this.done) return null;
      const chunk = await this.reader.read();
      if (chunk.done) {
        this.done = true;
        this.buffer += this.decoder.decode();
        const { events } = parseSse(`${this.buffer}\n\n`);
        this.buffer = '';
        this.queue.push(...events);
        continue;
      }
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
      const { events, rest } = parseSse(this.buffer);
      this.buffer = rest;
      this.queue.push(...events);
    }
  }

  /** The next event that carries a JSON-RPC message (skips priming events with empty data). */
  async nextMessage(): Promise<{ event: SseEvent; message: JsonRpcMessage } | null> {
    for (;;) {
      const event = await this.next();
      if (event === null) return null;
      if (event.data.trim() === '') continue;
      return { event, message: JSON.parse(event.data) as JsonRpcMessage };
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

/** Reads a whole response as JSON-RPC messages, whether it is JSON or SSE. */
export async function readMessages(res: Response): Promise<JsonRpcMessage[]> {
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (type.startsWith('text/event-stream')) {
    return parseSse(`${text}\n\n`)
      .events.filter((e) => e.data.trim() !== '')
      .map((e) => JSON.parse(e.data) as JsonRpcMessage);
  }
  if (text.trim() === '') return [];
  const parsed = JSON.parse(text) as JsonRpcMessage | JsonRpcMessage[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** The single response (message with an id and result/error) in a reply. */
export async function readResponse(res: Response): Promise<JsonRpcMessage> {
  const messages = await readMessages(res);
  const responses = messages.filter((m) => 'result' in m || 'error' in m);
  assert.equal(responses.length, 1, `expected one response, got ${JSON.stringify(messages)}`);
  return responses[0] as JsonRpcMessage;
}

/**
 * Asserts an HTTP error answer: exact status, a JSON content type, a JSON-RPC
 * 2.0 error body with the given code (and id, when given), and no trace of
 * HTML or a stack. Returns the parsed body.
 */
export async function expectJsonRpcError(
  res: Response,
  status: number,
  code: number,
  options: { id?: string | number | null } = {},
): Promise<JsonRpcMessage & { error: { code: number; message: string; data?: unknown } }> {
  const text = await res.text();
  assert.equal(res.status, status, `expected HTTP ${status}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/, `content-type was ${res.headers.get('content-type')}`);
  assertNoLeak(text);
  const body = JSON.parse(text) as JsonRpcMessage;
  assert.equal(body.jsonrpc, '2.0');
  assert.ok(body.error, `no error member in ${text}`);
  assert.equal(body.error.code, code, `error code in ${text}`);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(!('result' in body), 'an error response must not carry a result');
  if ('id' in options) assert.deepEqual(body.id, options.id, `id in ${text}`);
  return body as JsonRpcMessage & { error: { code: number; message: string; data?: unknown } };
}

export function assertNoLeak(text: string): void {
  assert.doesNotMatch(text, /<html|<!doctype|<body/i, 'body must never be HTML');
  assert.doesNotMatch(text, /\n\s+at .+\(.*:\d+:\d+\)|node:internal|\.ts:\d+:\d+/, 'body must never carry a stack trace');
}

/** A good modern tools/call, to show the server still serves after a bad request. */
export async function assertStillServes(url: string): Promise<void> {
  const res = await postModern(url, {
    method: 'tools/call',
    id: 'still-ok',
    params: { name: 'echo', arguments: { text: 'alive' }, _meta: modernMeta() },
  });
  assert.equal(res.status, 200);
  const msg = await readResponse(res);
  assert.equal(msg.id, 'still-ok');
  assert.deepEqual((msg.result as { structuredContent?: unknown }).structuredContent, { echo: 'alive' });
}

// ---------------------------------------------------------------- raw node:http

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request through node:http, for what fetch cannot send: a forged Host
 * header, or a chunked body written piece by piece. Bounded by `timeoutMs`.
 */
export function rawRequest(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; chunks?: Array<string | Buffer>; timeoutMs?: number },
): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path ?? '/mcp', headers: options.headers ?? {}, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error('raw request timed out')));
    req.on('error', reject);
    const chunks = options.chunks ?? [];
    const writeNext = (i: number): void => {
      if (i >= chunks.length) {
        req.end();
        return;
      }
      // A server that already answered (413) may reset the socket: stop writing then.
      if (req.destroyed) return;
      req.write(chunks[i] as string | Buffer, () => setImmediate(() => writeNext(i + 1)));
    };
    writeNext(0);
  });
}

/** Asserts a raw answer is a JSON-RPC error with this status and code. */
export function expectRawJsonRpcError(res: RawResponse, status: number, code: number): JsonRpcMessage {
  assert.equal(res.status, status, `expected HTTP ${status}, got ${res.status}: ${res.body}`);
  assert.match(String(res.headers['content-type'] ?? ''), /^application\/json\b/);
  assertNoLeak(res.body);
  const body = JSON.parse(res.body) as JsonRpcMessage;
  assert.equal(body.jsonrpc, '2.0');
  assert.equal(body.error?.code, code, res.body);
  assert.equal(typeof body.error?.message, 'string');
  return body;
}
