/**
 * The cluster phase's load driver (bench/cluster.ts): a fixed number of
 * trivial calls per cell over loopback with raw node:http and a keep-alive
 * agent, one socket per worker, against a bare node:http floor or a real
 * `hostlens serve` (one replica, or nginx in front of three) in either era,
 * with the bench's bearer token. Each request is timed from write to last
 * body byte; a cell's req/s is its request count over its wall time.
 */
import type { Agent } from 'node:http';
import { now, round, roundSummary, summarize } from './stats.js';
import type { Summary } from './stats.js';
import { del, INITIALIZE, keepAliveAgent, legacyHeaders, legacyToolCall, modernToolCall, post, resultOf } from './wire.js';

/** The trivial call: one cheap tool over the fixture tree, the same in both eras. */
export const CALL = { name: 'get_pressure', args: {} } as const;

export type Era = 'floor' | 'legacy' | 'modern';

export interface DriveCell {
  target: string;
  era: Era;
  concurrency: number;
  requests: number;
  errors: number;
  firstError?: string;
  reqPerSec: number;
  latencyMs: Summary;
}

interface Worker {
  call(seq: number): Promise<void>;
  close(): Promise<void>;
}

const withAuth = (headers: Record<string, string>, token: string): Record<string, string> => ({ ...headers, authorization: `Bearer ${token}` });

function check(r: { status: number; body: string }, what: string): void {
  if (r.status !== 200 || !r.body.includes('"result"') || r.body.includes('"isError":true')) throw new Error(`${what}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
}

/** initialize + notifications/initialized with the token; the session id. */
export async function openSession(agent: Agent, port: number, token: string): Promise<string> {
  const init = await post(agent, port, withAuth(legacyHeaders(), token), INITIALIZE);
  resultOf(init, 'initialize');
  const sid = init.headers['mcp-session-id'];
  if (typeof sid !== 'string' || sid === '') throw new Error('initialize answered without Mcp-Session-Id');
  const ack = await post(agent, port, withAuth(legacyHeaders(sid), token), JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  if (ack.status !== 202) throw new Error(`notifications/initialized: HTTP ${ack.status}: ${ack.body.slice(0, 200)}`);
  return sid;
}

/** One legacy tools/call of CALL in session `sid`; throws unless it answered a result. */
export async function legacyCall(agent: Agent, port: number, token: string, sid: string, seq: number): Promise<void> {
  const { headers, body } = legacyToolCall(sid, seq, CALL.name, CALL.args);
  check(await post(agent, port, withAuth(headers, token), body), 'legacy tools/call');
}

function worker(era: Era, agent: Agent, port: number, token: string): () => Promise<Worker> {
  if (era === 'floor') {
    return async () => ({
      async call(seq) {
        const body = JSON.stringify({ jsonrpc: '2.0', id: seq, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello hostlens' } } });
        check(await post(agent, port, { 'content-type': 'application/json', accept: 'application/json' }, body), 'floor');
      },
      close: async () => undefined,
    });
  }
  if (era === 'modern') {
    return async () => ({
      async call(seq) {
        const { headers, body } = modernToolCall(seq, CALL.name, CALL.args);
        check(await post(agent, port, withAuth(headers, token), body), 'modern tools/call');
      },
      close: async () => undefined,
    });
  }
  return async () => {
    const sid = await openSession(agent, port, token);
    return {
      call: (seq) => legacyCall(agent, port, token, sid, seq),
      close: async () => void (await del(agent, port, withAuth(legacyHeaders(sid), token)).catch(() => undefined)),
    };
  };
}

async function drive(workers: Worker[], total: number, seqBase: number, latencies: number[] | null): Promise<{ errors: number; firstError?: string }> {
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(
    workers.map(async (w) => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t0 = now();
        try {
          await w.call(seqBase + i);
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
          if (errors > Math.max(20, total / 20)) throw new Error(`too many errors (${errors}); first: ${firstError}`);
        }
        if (latencies) latencies[i] = now() - t0;
      }
    }),
  );
  return { errors, ...(firstError !== undefined ? { firstError } : {}) };
}

/** Warm-up, then `requests` calls at `concurrency`; sessions (legacy) are deleted afterwards. */
export async function runCell(target: string, era: Era, port: number, token: string, concurrency: number, requests: number, warmup: number): Promise<DriveCell> {
  const agent = keepAliveAgent(concurrency);
  const make = worker(era, agent, port, token);
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < concurrency; i++) workers.push(await make());
    await drive(workers, warmup, 1_000_000, null);
    const latencies = new Array<number>(requests).fill(0);
    const t0 = now();
    const { errors, firstError } = await drive(workers, requests, 1, latencies);
    const elapsedMs = now() - t0;
    return {
      target,
      era,
      concurrency,
      requests,
      errors,
      ...(firstError !== undefined ? { firstError } : {}),
      reqPerSec: round((requests / elapsedMs) * 1000, 0),
      latencyMs: roundSummary(summarize(latencies), 3),
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    agent.destroy();
  }
}

/** Opens `count` idle legacy sessions, `concurrency` at a time; their ids. */
export async function openMany(port: number, token: string, count: number, concurrency = 16): Promise<string[]> {
  const agent = keepAliveAgent(concurrency);
  const ids: string[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next++;
          ids.push(await openSession(agent, port, token));
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return ids;
}
