/**
 * The abuse phase's abuses. Each is bounded in count and in time (a deadline it stops at, and the
 * runner's overall bound) and talks only to the loopback servers of bench/abuse-server.ts. Each returns
 * a one-line account of what the server answered and the figures behind it; correctness is the test
 * suite's business (test/hostile), so nothing here asserts: unexpected answers are counted and shown.
 */
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { burst, modernInit, victim } from '../test/hostile/fairness-harness.js';
import type { Served } from '../test/hostile/fairness-harness.js';
import { childVictim } from '../test/hostile/fairness-victim.js';
import { ACCEPT, legacyHeaders, modernMeta, openLegacySession, postModern, readMessages } from '../test/http/helpers.js';
import { CANARY, SECRET_MARK } from './abuse-server.js';
import type { AbuseFixtures, AbuseServer } from './abuse-server.js';
import { killPid, onCleanup } from './cleanup.js';
import { sleep } from './stats.js';
import { keepAliveAgent, MODERN, post } from './wire.js';

export interface AbuseCounts {
  /** Repetitions of the big-body, deep-body and get_config abuses. */
  repeats: number;
  burst: number;
  listens: number;
  unauthenticated: number;
  bombCalls: number;
  searchCalls: number;
  raceCalls: number;
  /** Victim call pairs (one per era) during a burst or listens. */
  victimPairs: number;
}

export interface AbuseContext {
  local: AbuseServer;
  tokens: AbuseServer;
  fx: AbuseFixtures;
  counts: AbuseCounts;
}

export interface AbuseOutcome {
  detail: string;
  figures: Record<string, number>;
}

export interface AbuseCase {
  id: string;
  label(c: AbuseCounts): string;
  server: AbuseServer['name'];
  run(ctx: AbuseContext): Promise<AbuseOutcome>;
}

const served = (s: AbuseServer): Served => ({ url: s.url, port: s.port, authOn: s.authOn });
const countOf = (m: Map<number, number>): string => [...m].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === -1 ? 'failed' : s}×${n}`).join(' ');
const tally = (m: Map<number, number>, status: number): void => void m.set(status, (m.get(status) ?? 0) + 1);

interface Answer {
  status: number;
  isError: boolean;
  text: string;
}

/**
 * A modern tools/call on the `local` server. Without auth the bench process is one tenant (20 requests/s,
 * burst 40): a 429 is waited out (its Retry-After, at most 1 s) until `until`, so the abuse is the tool work,
 * not the bucket.
 */
async function callTool(s: AbuseServer, name: string, args: Record<string, unknown>, until: number): Promise<Answer & { waits: number }> {
  for (let waits = 0; ; waits++) {
    const res = await postModern(s.url, { method: 'tools/call', params: { name, arguments: args, _meta: modernMeta() } });
    if (res.status === 429 && Date.now() < until) {
      await res.text();
      await sleep(Math.min(1_000, Number(res.headers.get('retry-after') ?? 1) * 1000));
      continue;
    }
    if (res.status !== 200) return { status: res.status, isError: true, text: (await res.text()).slice(0, 300), waits };
    const msg = (await readMessages(res)).find((m) => 'result' in m || 'error' in m);
    const result = msg?.result as { isError?: boolean } | undefined;
    return { status: res.status, isError: !result || result.isError === true, text: JSON.stringify(msg ?? null), waits };
  }
}

/** `n` workers taking jobs 0..total-1 in turn. */
async function pool(n: number, total: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < total) await job(next++);
  }));
}

function wideBody(era: 'modern' | 'legacy'): string {
  // 300,000 members of 13 bytes ("k0000001":0,): ≈ 3.9 MB, just under the 4 MiB body limit.
  const keys = Array.from({ length: 300_000 }, (_, i) => `"k${String(i).padStart(7, '0')}":0`).join(',');
  const meta = era === 'modern' ? `,"_meta":${JSON.stringify(modernMeta())}` : '';
  return `{"jsonrpc":"2.0","id":"wide","method":"tools/call","params":{"name":"get_cpu","arguments":{${keys}}${meta}}}`;
}

const modernHeaders = (method: string, name?: string): Record<string, string> => ({
  'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}),
});

/** Sends the same body `repeats` times at once in each era; the HTTP statuses. */
async function bothEras(s: AbuseServer, repeats: number, body: (era: 'modern' | 'legacy') => string, method: string, name?: string): Promise<Map<number, number>> {
  const sid = await openLegacySession(s.url, '2025-11-25');
  const statuses = new Map<number, number>();
  const send = async (era: 'modern' | 'legacy', text: string): Promise<void> => {
    const headers = era === 'modern' ? modernHeaders(method, name) : legacyHeaders('2025-11-25', sid);
    const res = await fetch(s.url, { method: 'POST', headers, body: text }).catch(() => null);
    tally(statuses, res?.status ?? -1);
    await res?.text();
  };
  for (const era of ['modern', 'legacy'] as const) {
    const text = body(era);
    await Promise.all(Array.from({ length: repeats }, () => send(era, text)));
  }
  await fetch(s.url, { method: 'DELETE', headers: legacyHeaders('2025-11-25', sid) }).then((r) => r.text()).catch(() => undefined);
  return statuses;
}

/** The other client: without auth a process of its own (the server counts local clients by process). */
async function theVictim(s: AbuseServer): Promise<{ serve(pairs: number): Promise<number>; close(): Promise<void> }> {
  if (s.authOn) return victim(served(s));
  const v = await childVictim(s.url);
  const unregister = onCleanup(() => killPid(v.pid, 'SIGKILL'));
  return { serve: (pairs) => v.serve(pairs), close: async () => { await v.close(); unregister(); } };
}

/** Victim calls one pair (both eras) at a time; a failed pair is counted, not thrown. */
async function victimPairs(v: { serve(pairs: number): Promise<number> }, pairs: number): Promise<{ ok: number; failed: string[] }> {
  let ok = 0;
  const failed: string[] = [];
  for (let i = 0; i < pairs; i++) {
    try {
      ok += await v.serve(1);
    } catch (error) {
      failed.push((error as Error).message.slice(0, 160));
    }
  }
  return { ok, failed };
}

async function rateBurst(s: AbuseServer, c: AbuseCounts): Promise<AbuseOutcome> {
  const v = await theVictim(s);
  try {
    const init = (i: number): RequestInit => modernInit(served(s), 'noisy', 'tools/call', { name: 'get_system_info', arguments: {} }, i);
    const [statuses, during] = await Promise.all([burst(c.burst, (i) => fetch(s.url, init(i))), victimPairs(v, c.victimPairs)]);
    const calls = c.victimPairs * 2;
    return {
      detail: `noisy: ${countOf(statuses)}; victim ${during.ok}/${calls} calls served${during.failed.length ? ` (first failure: ${during.failed[0]})` : ''}`,
      figures: { burst: c.burst, noisyOk: statuses.get(200) ?? 0, noisy429: statuses.get(429) ?? 0, victimOk: during.ok, victimCalls: calls },
    };
  } finally {
    await v.close();
  }
}

// The race's swapper: its own thread, so the swaps interleave with the server's checks and open.
const SWAPPER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { victim, targets } = workerData;
let stop = false, swaps = 0;
parentPort.on('message', () => { stop = true; });
const tick = () => {
  for (let i = 0; i < 200 && !stop; i++) {
    try {
      fs.symlinkSync(targets[swaps % targets.length], victim + '.l');
      fs.renameSync(victim + '.l', victim);
      fs.writeFileSync(victim + '.r', 'Nov 24 10:00:00 host app: regular line\\n');
      fs.renameSync(victim + '.r', victim);
      swaps++;
    } catch { /* raced with a reader: go on */ }
  }
  if (stop) parentPort.postMessage(swaps); else setImmediate(tick);
};
tick();
`;

function shadowPrefix(): string | null {
  try {
    // A prefix of the first line with a password hash: enough to recognise it in an answer, never printed.
    return readFileSync('/etc/shadow', 'utf8').split('\n').find((l) => /^[^:]+:[^:*!]{8,}/.test(l))?.slice(0, 24) ?? null;
  } catch {
    return null;
  }
}

/** One small call of each tool the abuses use, so no row carries a first call's one-off setup. */
export async function warmUp({ local, fx }: AbuseContext): Promise<void> {
  const until = Date.now() + 60_000;
  await callTool(local, 'get_system_info', {}, until);
  await callTool(local, 'read_log_file', { path: fx.raceLog, lines: 1 }, until);
  await callTool(local, 'search_logs', { mode: 'entries', maxScan: 10 }, until);
}

export const ABUSES: readonly AbuseCase[] = [
  {
    id: 'wide-body',
    label: (c) => `300,000 argument keys (3.9 MB) ×${c.repeats}, both eras`,
    server: 'local',
    async run({ local, counts }) {
      const statuses = await bothEras(local, counts.repeats, wideBody, 'tools/call', 'get_cpu');
      return { detail: `×${counts.repeats} per era: ${countOf(statuses)} (400 = refused by shape)`, figures: { requests: counts.repeats * 2, http400: statuses.get(400) ?? 0 } };
    },
  },
  {
    id: 'deep-body',
    label: (c) => `20,000-deep JSON array body ×${c.repeats}, both eras`,
    server: 'local',
    async run({ local, counts }) {
      const statuses = await bothEras(local, counts.repeats, () => `${'['.repeat(20_000)}${']'.repeat(20_000)}`, 'tools/list');
      return { detail: `×${counts.repeats} per era: ${countOf(statuses)}`, figures: { requests: counts.repeats * 2, http400: statuses.get(400) ?? 0 } };
    },
  },
  {
    id: 'batch',
    label: () => '2025-03-26 batch of 100 tools/list',
    server: 'local',
    async run({ local }) {
      const sid = await openLegacySession(local.url, '2025-03-26');
      const body = JSON.stringify(Array.from({ length: 100 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'tools/list' })));
      const res = await fetch(local.url, { method: 'POST', headers: legacyHeaders('2025-03-26', sid), body });
      const text = await res.text();
      await fetch(local.url, { method: 'DELETE', headers: legacyHeaders('2025-03-26', sid) }).then((r) => r.text()).catch(() => undefined);
      return { detail: `HTTP ${res.status}, ${text.length} bytes answered`, figures: { status: res.status, bytes: text.length } };
    },
  },
  {
    id: 'burst-local',
    label: (c) => `${c.burst} concurrent get_system_info, auth off`,
    server: 'local',
    run: ({ local, counts }) => rateBurst(local, counts),
  },
  {
    id: 'burst-tokens',
    label: (c) => `${c.burst} concurrent get_system_info, noisy vs victim token`,
    server: 'tokens',
    run: ({ tokens, counts }) => rateBurst(tokens, counts),
  },
  {
    id: 'idle-listens',
    label: (c) => `${c.listens} idle listen streams + another client, auth off`,
    server: 'local',
    async run({ local, counts }) {
      const streams: AbortController[] = [];
      const v = await theVictim(local);
      try {
        const statuses = new Map<number, number>();
        for (let i = 0; i < counts.listens; i++) {
          const c = new AbortController();
          streams.push(c);
          const params = { notifications: { resourceSubscriptions: ['diag://local/overview'] } };
          const res = await fetch(local.url, { ...modernInit(served(local), 'noisy', 'subscriptions/listen', params, `l${i}`), signal: c.signal }).catch(() => null);
          tally(statuses, res?.status ?? -1);
          if (res && res.status !== 200) await res.text();
        }
        const during = await victimPairs(v, counts.victimPairs);
        await sleep(1_000);
        return {
          detail: `${counts.listens} listens: ${countOf(statuses)}; victim ${during.ok}/${counts.victimPairs * 2} calls served${during.failed.length ? ` (first failure: ${during.failed[0]})` : ''}`,
          figures: { listensOpen: statuses.get(200) ?? 0, victimOk: during.ok, victimCalls: counts.victimPairs * 2 },
        };
      } finally {
        for (const c of streams) c.abort();
        await v.close();
      }
    },
  },
  {
    id: 'unauthenticated',
    label: (c) => `${c.unauthenticated} unauthenticated requests, auth on`,
    server: 'tokens',
    async run({ tokens, counts }) {
      const agent = keepAliveAgent(64);
      const statuses = new Map<number, number>();
      const until = Date.now() + 180_000;
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: modernMeta() } });
      let sent = 0;
      try {
        await pool(64, counts.unauthenticated, async () => {
          if (Date.now() > until) return;
          sent += 1;
          const res = await post(agent, tokens.port, modernHeaders('tools/list'), body).catch(() => null);
          tally(statuses, res?.status ?? -1);
        });
      } finally {
        agent.destroy();
      }
      return { detail: `${sent} sent: ${countOf(statuses)}`, figures: { sent, http401: statuses.get(401) ?? 0 } };
    },
  },
  {
    id: 'gzip-bombs',
    label: (c) => `read_log_file over gzip bombs, ${c.bombCalls} at once`,
    server: 'local',
    async run({ local, fx, counts }) {
      const until = Date.now() + 120_000;
      const answers = await Promise.all(Array.from({ length: counts.bombCalls }, () => callTool(local, 'read_log_file', { path: fx.bombLog, includeRotated: true, lines: 1000 }, until)));
      const ok = answers.filter((a) => !a.isError).length;
      const budget = answers.filter((a) => /decompression budget|decompresses to more than/.test(a.text)).length;
      return {
        detail: `${fx.bombs} bombs; ${ok}/${answers.length} answered, ${budget} with the decompression-budget warning, largest answer ${Math.max(...answers.map((a) => a.text.length))} bytes`,
        figures: { calls: answers.length, ok, budgetWarnings: budget },
      };
    },
  },
  ...(['patterns', 'facets', 'entries'] as const).map((mode): AbuseCase => ({
    id: `search-${mode}`,
    label: (c) => `search_logs ${mode} ×${c.searchCalls}, big journal`,
    server: 'local',
    async run({ local, fx, counts }) {
      const until = Date.now() + 120_000;
      const answers = await Promise.all(Array.from({ length: counts.searchCalls }, () => callTool(local, 'search_logs', { mode, maxScan: 20_000 }, until)));
      const ok = answers.filter((a) => !a.isError).length;
      const leaked = answers.filter((a) => a.text.includes('hunter2big')).length;
      return { detail: `${fx.journalEntries} entries, maxScan 20,000: ${ok}/${answers.length} answered, ${leaked} carried the planted password`, figures: { calls: answers.length, ok, leaked } };
    },
  })),
  {
    id: 'config-secrets',
    label: (c) => `get_config, 1 MiB of secrets, ×${c.repeats}`,
    server: 'local',
    async run({ local, fx, counts }) {
      const until = Date.now() + 120_000;
      const answers = await Promise.all(Array.from({ length: counts.repeats }, () => callTool(local, 'get_config', { path: fx.secretsConfig }, until)));
      const ok = answers.filter((a) => !a.isError).length;
      const leaked = answers.reduce((n, a) => n + (a.text.split(SECRET_MARK).length - 1), 0);
      return { detail: `×${counts.repeats} at once: ${ok}/${answers.length} answered; ${leaked} secret value(s) in the answers`, figures: { calls: answers.length, ok, secretsShown: leaked } };
    },
  },
  {
    id: 'symlink-race',
    label: (c) => `symlink-swap race, ${c.raceCalls} read_log_file`,
    server: 'local',
    async run({ local, fx, counts }) {
      const shadow = shadowPrefix();
      const worker = new Worker(SWAPPER, { eval: true, workerData: { victim: fx.raceLog, targets: fx.raceTargets } });
      const stopped = new Promise<number>((resolve) => worker.once('message', resolve));
      let ok = 0;
      let refused = 0;
      let leaks = 0;
      let waits = 0;
      try {
        const until = Date.now() + 150_000;
        await pool(4, counts.raceCalls, async () => {
          const a = await callTool(local, 'read_log_file', { path: fx.raceLog }, until);
          waits += a.waits;
          if (a.isError) refused += 1;
          else ok += 1;
          if (a.text.includes(CANARY) || (shadow !== null && a.text.includes(shadow))) leaks += 1;
        });
      } finally {
        worker.postMessage('stop');
      }
      const swaps = await Promise.race([stopped, sleep(5_000).then(() => -1)]);
      await worker.terminate();
      return {
        detail: `${counts.raceCalls} calls (4 at a time, ${waits} waits on the rate limit), ${swaps} swaps: ${ok} read the regular file, ${refused} refused, LEAKS ${leaks}`,
        figures: { calls: counts.raceCalls, ok, refused, swaps, leaks },
      };
    },
  },
];
