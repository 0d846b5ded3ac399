/**
 * The fairness suite's pieces: a spawned `hostlens serve` with two read-only
 * static tokens (or none), a victim that calls through the official SDK
 * clients in both eras (a 2025-11-25 session and 2026-07-28 stateless), and a
 * noisy client's raw bursts. Without auth the victim is a process of its own
 * (fairness-victim.ts): the server counts local clients by process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { sha256Hex } from '../../src/http/auth/static-tokens.js';
import { killAll, MODERN, spawnHostlens } from '../e2e/helpers.js';
import { within } from '../support/async.js';
import { childVictim } from './fairness-victim.js';

export const TOKENS = { noisy: 'fairness-noisy-token-0123456789', victim: 'fairness-victim-token-0123456789' } as const;
export type Who = keyof typeof TOKENS;

export interface Served {
  url: string;
  port: number;
  authOn: boolean;
}

/** Spawns serve for the enclosing describe; `auth` false = no tokens (local clients). */
export function fairServer(auth: boolean, config: Record<string, unknown> = {}, env: Record<string, string | undefined> = {}): () => Served {
  let served: Served | undefined;
  let dir: string | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-fairness-'));
    const file = join(dir, 'hostlens.json');
    const tokens = auth ? Object.entries(TOKENS).map(([name, token]) => ({ name, sha256: sha256Hex(token), scopes: ['hostlens:read'] })) : [];
    writeFileSync(file, JSON.stringify({ port: 0, samplerIntervalMs: 1000, auditLog: { path: null }, ...(auth ? { auth: { tokens } } : {}), ...config }));
    // The config file's rateLimit (or the default) is what these tests measure: no HOSTLENS_RATE_LIMIT over it.
    const server = spawnHostlens(['serve', '--config', file], { env: { HOSTLENS_RATE_LIMIT: undefined, ...env } });
    const { url, port } = await server.listening(30_000);
    served = { url, port, authOn: auth };
  });
  after(async () => {
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => served!;
}

export const authHeader = (s: Served, who: Who): Record<string, string> => (s.authOn ? { authorization: `Bearer ${TOKENS[who]}` } : {});

/** One modern request's headers and body. */
export function modernInit(s: Served, who: Who, method: string, params: Record<string, unknown>, id: number | string): RequestInit {
  const name: Record<string, string> = typeof params.name === 'string' ? { 'mcp-name': params.name } : {};
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': method, ...name, ...authHeader(s, who) },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method,
      params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } },
    }),
  };
}

/** `n` concurrent requests (each its own fetch, so over many pooled connections); the statuses. */
export async function burst(n: number, send: (i: number) => Promise<Response>): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      let status = 0;
      try {
        const res = await send(i);
        status = res.status;
        await res.text();
      } catch {
        status = -1;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }),
  );
  return statuses;
}

export interface Victim {
  /** `calls` calls of `tool` in each era; throws on any failure (HTTP error, JSON-RPC error, isError). */
  serve(calls: number, tool?: string, args?: Record<string, unknown>): Promise<number>;
  /** Opens a subscriptions/listen stream held until close(); its HTTP status. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/** The victim: the SDK client in a 2025-11-25 session and pinned to 2026-07-28 (without auth in a child process). */
export async function victim(s: Served): Promise<Victim> {
  if (!s.authOn) return childVictim(s.url);
  const listens: AbortController[] = [];
  const init = { requestInit: { headers: authHeader(s, 'victim') } };
  const legacy = new Client({ name: 'victim-legacy', version: '1.0.0' }, { supportedProtocolVersions: ['2025-11-25'] });
  await within(15_000, 'victim legacy connect', legacy.connect(new StreamableHTTPClientTransport(new URL(s.url), init)));
  const modern = new Client({ name: 'victim-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  await within(15_000, 'victim modern connect', modern.connect(new StreamableHTTPClientTransport(new URL(s.url), init)));
  return {
    async serve(calls, tool = 'get_system_info', args = {}) {
      let ok = 0;
      for (let i = 0; i < calls; i++) {
        for (const [era, client] of [['legacy', legacy], ['modern', modern]] as const) {
          const result = await within(40_000, `victim ${era} ${tool}`, client.callTool({ name: tool, arguments: args }));
          const text = JSON.stringify(result.content).slice(0, 300);
          assert.notEqual(result.isError, true, `victim ${era} ${tool} #${i}: ${text}`);
          ok += 1;
        }
      }
      return ok;
    },
    async listen() {
      const c = new AbortController();
      listens.push(c);
      const res = await fetch(s.url, { ...modernInit(s, 'victim', 'subscriptions/listen', { notifications: { resourceSubscriptions: ['diag://local/overview'] } }, 'victim-listen'), signal: c.signal });
      return res.status;
    },
    async close() {
      for (const c of listens) c.abort();
      await legacy.close().catch(() => undefined);
      await modern.close().catch(() => undefined);
    },
  };
}
