/**
 * The soak's operation mix. Each operation runs against one connected SDK client (legacy
 * session or 2026-07-28 stateless) and records exactly one outcome: ok (with latency), the
 * expected error of a deliberately bad call (checked to be the RIGHT error), a deliberate drop,
 * or an unexpected outcome.
 */
import type { Client } from '@modelcontextprotocol/client';
import { productCatalogue } from '../../src/catalogue/index.js';
import { exampleArgs } from '../../test/support/tool-examples.js';
import { mulberry32 } from '../../test/fuzz/mutate.js';
import type { ExpectedKind, Recorder } from './recorder.js';
import { destroyMidCall, isSessionNotFound, sessionRequest } from './raw.js';

export interface OpContext {
  client: Client;
  era: 'legacy' | 'modern';
  sessionId: string | undefined;
  port: number;
  token: string;
  serverPid: number;
  windowSec: number;
  rec: Recorder;
  rng: () => number;
}

export interface Op {
  name: string;
  weight: number;
  run(ctx: OpContext): Promise<void>;
}

const WINDOWED = ['get_cpu', 'get_disk_io', 'get_network', 'get_pressure'] as const;
/** Tools that are slow by design (a sweep, a 1 s cgroup window, a directory walk): called rarely. */
const RARE = new Set(['capture_snapshot', 'get_cgroup', 'find_space_hogs', 'recent_changes', 'list_containers', 'get_container_logs']);
const RESOURCES = ['diag://thresholds', 'diag://local/overview', 'diag://local/capabilities', 'diag://runbooks/high-cpu', 'diag://local/config/etc/hostname'];

const pick = <T>(rng: () => number, list: readonly T[]): T => list[Math.floor(rng() * list.length)] as T;

function textOf(result: { content?: unknown }): string {
  const content = Array.isArray(result.content) ? (result.content as Array<{ type?: string; text?: string }>) : [];
  return content.find((c) => c.type === 'text')?.text ?? '';
}

/**
 * The HTTP/1.1 keep-alive race: the client reuses a pooled connection at the moment the server's
 * keepAliveTimeout (5 s) closes it, and undici fails the request with "other side closed" before any
 * answer (it never retries a POST). Likely only when the client's event loop lags by more than undici's
 * 1 s margin. hostlens's calls are read-only, so the soak retries such a call once (like HTTP clients do
 * for idempotent requests) and counts it apart; a second failure is unexpected.
 */
export function isKeepAliveReset(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  return cause?.code === 'UND_ERR_SOCKET' && /other side closed/i.test(String(cause.message));
}

async function once<T>(ctx: OpContext, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (!isKeepAliveReset(error)) throw error;
    ctx.rec.reset();
    return body();
  }
}

/** Runs `body`, timing it; a tool result with isError is unexpected for a good call. */
async function good(ctx: OpContext, op: string, body: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  try {
    const r = (await once(ctx, body)) as { isError?: boolean; content?: unknown } | undefined;
    if (r && r.isError === true) throw new Error(`tool error result: ${textOf(r).slice(0, 200)}`);
    ctx.rec.ok(op, performance.now() - t0);
  } catch (error) {
    ctx.rec.fail(op, error);
  }
}

/** Runs a deliberately bad call; `check` says whether what came back is the right error. */
async function bad(ctx: OpContext, kind: ExpectedKind, body: () => Promise<unknown>, check: (outcome: { result?: unknown; error?: unknown }) => boolean): Promise<void> {
  let outcome: { result?: unknown; error?: unknown };
  try {
    outcome = { result: await once(ctx, body) };
  } catch (error) {
    outcome = { error };
  }
  if (check(outcome)) ctx.rec.expected(kind);
  else ctx.rec.fail(`bad:${kind}`, new Error(`wrong answer to a deliberately bad call: ${JSON.stringify(outcome.result ?? String(outcome.error)).slice(0, 200)}`));
}

const errorCode = (e: unknown): unknown => (e as { code?: unknown } | undefined)?.code;
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const TOOLS = new Map(productCatalogue.tools.map((t) => [t.name, t]));
const toolCalls = productCatalogue.tools.filter((t) => !RARE.has(t.name)).map((t) => t.name);
const rareCalls = productCatalogue.tools.filter((t) => RARE.has(t.name)).map((t) => t.name);

function callTool(ctx: OpContext, name: string): Promise<unknown> {
  const tool = TOOLS.get(name);
  const args = tool ? exampleArgs(tool, { serverPid: ctx.serverPid }) : {};
  return ctx.client.callTool({ name, arguments: args });
}

export const OPS: readonly Op[] = [
  { name: 'tool', weight: 50, run: (ctx) => { const name = pick(ctx.rng, toolCalls); return good(ctx, name, () => callTool(ctx, name)); } },
  { name: 'rare tool', weight: 2, run: (ctx) => { const name = pick(ctx.rng, rareCalls); return good(ctx, name, () => callTool(ctx, name)); } },
  {
    name: 'windowed tool',
    weight: 8,
    run: (ctx) => {
      const name = pick(ctx.rng, WINDOWED);
      return good(ctx, `${name}(windowSec)`, () => ctx.client.callTool({ name, arguments: { windowSec: ctx.windowSec } }));
    },
  },
  { name: 'resource', weight: 10, run: (ctx) => { const uri = pick(ctx.rng, RESOURCES); return good(ctx, 'resources/read', () => ctx.client.readResource({ uri })); } },
  {
    name: 'list',
    weight: 5,
    run: (ctx) => {
      const which = pick(ctx.rng, ['tools/list', 'resources/list', 'resources/templates/list', 'prompts/list'] as const);
      const c = ctx.client;
      const call = { 'tools/list': () => c.listTools(), 'resources/list': () => c.listResources(), 'resources/templates/list': () => c.listResourceTemplates(), 'prompts/list': () => c.listPrompts() }[which];
      return good(ctx, which, call);
    },
  },
  { name: 'prompt', weight: 2, run: (ctx) => good(ctx, 'prompts/get', () => ctx.client.getPrompt({ name: 'triage', arguments: {} })) },
  {
    // Abort the call's fetch mid-window: legacy sends notifications/cancelled, modern closes the stream.
    name: 'abort mid-call',
    weight: 3,
    run: async (ctx) => {
      // Spread over the four windowed tools: each has its own concurrency cap (toolConcurrency 4 + 16 queued).
      const name = pick(ctx.rng, WINDOWED);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 200 + Math.floor(ctx.rng() * 400));
      const t0 = performance.now();
      try {
        const r = await ctx.client.callTool({ name, arguments: { windowSec: 2 } }, { signal: controller.signal });
        // On a starved client the 2 s answer can be handled before the (late) abort timer: a plain call then.
        if (controller.signal.aborted) ctx.rec.fail('abort mid-call', new Error('a call aborted before its answer came resolved instead of rejecting'));
        else if (r.isError) ctx.rec.fail('abort mid-call', new Error(`tool error result: ${textOf(r).slice(0, 200)}`));
        else ctx.rec.ok(`${name}(windowSec)`, performance.now() - t0);
      } catch (error) {
        if (/abort/i.test(errorMessage(error))) ctx.rec.dropped();
        else if (isKeepAliveReset(error)) ctx.rec.reset();
        else ctx.rec.fail('abort mid-call', error);
      } finally {
        clearTimeout(timer);
      }
    },
  },
  {
    // Destroy the TCP socket while the server is in a 2 s window (in this client's session for legacy).
    name: 'destroy socket mid-call',
    weight: 2,
    run: async (ctx) => {
      const name = pick(ctx.rng, WINDOWED);
      const t0 = performance.now();
      try {
        const r = await destroyMidCall(ctx.port, ctx.token, ctx.sessionId, name, 2, 200 + Math.floor(ctx.rng() * 400));
        if (r === 'destroyed') ctx.rec.dropped();
        // The answer beat the (late, on a starved client) destroy timer: it must then be a result.
        else if (r.status === 200 && /"result"/.test(r.body) && !/"isError":true/.test(r.body)) ctx.rec.ok(`${name}(windowSec)`, performance.now() - t0);
        else ctx.rec.fail('destroy socket mid-call', new Error(`the server answered before the socket was destroyed, not with a result: HTTP ${r.status} ${r.body.slice(0, 160)}`));
      } catch (error) {
        ctx.rec.fail('destroy socket mid-call', error);
      }
    },
  },
  {
    name: 'bad: unknown tool',
    weight: 2,
    run: (ctx) =>
      bad(ctx, 'unknown_tool', () => ctx.client.callTool({ name: 'no_such_tool_soak', arguments: {} }), ({ error }) => errorCode(error) === -32602 && /not found/i.test(errorMessage(error))),
  },
  {
    name: 'bad: bad arguments',
    weight: 2,
    run: (ctx) =>
      bad(
        ctx,
        'bad_args',
        () => ctx.client.callTool({ name: 'top_processes', arguments: { limit: 9999 } }),
        ({ result }) => (result as { isError?: boolean } | undefined)?.isError === true && /Input validation error/.test(textOf(result as { content?: unknown })),
      ),
  },
  {
    name: 'bad: unknown session id',
    weight: 2,
    run: (ctx) => bad(ctx, 'bad_session', () => sessionRequest(ctx.port, ctx.token), ({ result }) => result !== undefined && isSessionNotFound(result as Parameters<typeof isSessionNotFound>[0])),
  },
  {
    name: 'bad: unknown resource',
    weight: 2,
    run: (ctx) =>
      bad(ctx, 'unknown_resource', () => ctx.client.readResource({ uri: 'diag://soak/no-such-resource' }), ({ error }) => errorCode(error) === -32602 && /not found/i.test(errorMessage(error))),
  },
];

const TOTAL_WEIGHT = OPS.reduce((n, op) => n + op.weight, 0);

export function pickOp(rng: () => number): Op {
  let x = rng() * TOTAL_WEIGHT;
  for (const op of OPS) {
    x -= op.weight;
    if (x < 0) return op;
  }
  return OPS[0] as Op;
}

/** The seeded generator of the fuzz tests (mulberry32), so a run's mix can be replayed with --seed. */
export const seeded = mulberry32;
