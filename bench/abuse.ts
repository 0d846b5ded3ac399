/**
 * Phase 6: the event loop under abuse. Two real `hostlens serve` children (bench/abuse-server.ts: auth
 * off, and two static tokens) take the abuses of bench/abuse-cases.ts one at a time while
 * test/hostile/loop-probe.ts polls /healthz from a worker thread every 20 ms and reads the server's own
 * event-loop delay from /metrics (reset when the abuse starts, read when it ends). Each row is printed
 * beside an idle baseline of the same server measured in the same run (the machine is shared: the
 * ratio is the figure to compare across runs, not the milliseconds). Target: /healthz p99 < 200 ms and
 * server event-loop delay max ≤ 50 ms during every abuse; the verdict is printed, never enforced.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { probeDuring } from '../test/hostile/loop-probe.js';
import type { LoopStats } from '../test/hostile/loop-probe.js';
import { ABUSES, warmUp } from './abuse-cases.js';
import type { AbuseCounts, AbuseOutcome } from './abuse-cases.js';
import { buildFixtures, startAbuseServer } from './abuse-server.js';
import type { AbuseFixtures, AbuseServer } from './abuse-server.js';
import { round, sleep, table, within } from './stats.js';

export const ABUSE_TARGETS = { healthzP99Ms: 200, serverLagMaxMs: 50 } as const;

/** Between abuses: the bench's rate bucket (40 at 20/s) refills and the previous abuse's work drains. */
const SETTLE_MS = 2_500;
const CASE_BOUND_MS = 240_000;

export interface AbuseRow {
  id: string;
  label: string;
  server: AbuseServer['name'];
  durationMs: number;
  stats: LoopStats | null;
  /** /healthz p99 ÷ the same server's idle p99. */
  ratioP99: number | null;
  /** PASS, MISS (with what missed), or ERROR when the abuse itself failed. */
  verdict: string;
  detail: string;
  figures: AbuseOutcome['figures'];
}

export interface AbuseResult {
  loadavgBefore: string;
  loadavgAfter: string;
  counts: AbuseCounts;
  fixtures: Pick<AbuseFixtures, 'bombs' | 'journalEntries' | 'buildMs'>;
  idle: AbuseRow[];
  rows: AbuseRow[];
  servers: Array<{ name: string; pid: number; warnings: number; exit: string }>;
  table: string;
}

export function abuseCounts(quick: boolean): AbuseCounts {
  const h = (n: number): number => (quick ? Math.ceil(n / 2) : n);
  // The listen count stays 16 in a quick run: it is the per-client cap, the point of that abuse.
  return { repeats: h(4), burst: h(400), listens: 16, unauthenticated: h(50_000), bombCalls: 8, searchCalls: 4, raceCalls: h(500), victimPairs: 3 };
}

const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').trim();

function verdict(s: LoopStats): string {
  const misses: string[] = [];
  if (s.failures > 0) misses.push(`${s.failures} /healthz failed`);
  if (s.p99Ms >= ABUSE_TARGETS.healthzP99Ms) misses.push(`p99 ≥ ${ABUSE_TARGETS.healthzP99Ms}`);
  if (s.serverLagMaxMs === undefined || !Number.isFinite(s.serverLagMaxMs)) misses.push('lag n/a');
  else if (s.serverLagMaxMs > ABUSE_TARGETS.serverLagMaxMs) misses.push(`lag > ${ABUSE_TARGETS.serverLagMaxMs}`);
  return misses.length === 0 ? 'PASS' : misses.every((m) => m === 'lag n/a') ? 'PASS (p99 only)' : `MISS: ${misses.join(', ')}`;
}

export function renderAbuseTable(r: Pick<AbuseResult, 'idle' | 'rows'>): string {
  const f = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(1));
  const line = (n: string, row: AbuseRow): string[] => {
    const s = row.stats;
    return [`${n.padStart(2)}. ${row.label}`, row.server, f(s?.p50Ms), f(s?.p99Ms), f(s?.maxMs), f(s?.serverLagMaxMs), row.ratioP99 === null ? '—' : `${row.ratioP99.toFixed(1)}×`, row.verdict];
  };
  const rows = [...r.idle.map((row) => line('0', row)), ...r.rows.map((row, i) => line(String(i + 1), row))];
  const head = ['abuse', 'server', '/healthz p50', 'p99', 'max', 'loop delay max', 'p99÷idle', `target: p99 < ${ABUSE_TARGETS.healthzP99Ms}, delay ≤ ${ABUSE_TARGETS.serverLagMaxMs} ms`];
  const details = r.rows.map((row, i) => `  ${String(i + 1).padStart(2)}. ${row.detail} (${round(row.durationMs / 1000, 1)} s, ${row.stats?.samples ?? 0} /healthz samples)`);
  return [table(head, rows), '', 'What the server answered:', ...details].join('\n');
}

export async function runAbuse(options: { repoRoot: string; quick: boolean; log: (line: string) => void }): Promise<AbuseResult> {
  const { log } = options;
  const loadavgBefore = loadavg();
  log(`  /proc/loadavg before: ${loadavgBefore}`);
  if (!existsSync(join(options.repoRoot, 'dist', 'app', 'cli.js'))) throw new Error('dist/app/cli.js is missing: run npm run build');
  const counts = abuseCounts(options.quick);
  const fx = buildFixtures({ bombs: options.quick ? 25 : 50, journalEntries: options.quick ? 30_000 : 60_000 });
  log(`  fixtures in ${fx.dir}: ${fx.bombs} gzip bombs (${fx.buildMs.bombs} ms), a ${fx.journalEntries}-entry journal (${fx.buildMs.journal} ms)`);
  const servers: AbuseServer[] = [];
  const stopped: AbuseResult['servers'] = [];
  try {
    for (const name of ['local', 'tokens'] as const) servers.push(await startAbuseServer(options.repoRoot, fx, name));
    const [local, tokens] = servers as [AbuseServer, AbuseServer];
    log(`  servers: local (auth off) pid ${local.pid} port ${local.port}; tokens pid ${tokens.pid} port ${tokens.port}`);
    // Let the samplers take their first ticks before anything is measured.
    await sleep(2_500);
    const ctx = { local, tokens, fx, counts };
    await warmUp(ctx);
    const probe = <T>(s: AbuseServer, body: () => Promise<T>): Promise<{ result: T; stats: LoopStats }> =>
      probeDuring(s.port, body, { serverLag: true, metricsHeaders: s.metricsHeaders });

    const idle: AbuseRow[] = [];
    for (const s of servers) {
      const { stats } = await probe(s, () => sleep(options.quick ? 1_000 : 2_000));
      idle.push({ id: 'idle', label: 'IDLE baseline', server: s.name, durationMs: options.quick ? 1_000 : 2_000, stats, ratioP99: 1, verdict: verdict(stats), detail: 'nothing else running', figures: {} });
    }
    const rows: AbuseRow[] = [];
    for (const c of ABUSES) {
      await sleep(SETTLE_MS);
      const s = c.server === 'local' ? local : tokens;
      const label = c.label(counts);
      const base = idle.find((r) => r.server === s.name)?.stats?.p99Ms;
      const t0 = performance.now();
      try {
        const { result, stats } = await probe(s, () => within(CASE_BOUND_MS, label, c.run(ctx)));
        const durationMs = performance.now() - t0;
        const ratioP99 = base ? round(stats.p99Ms / Math.max(base, 0.1), 1) : null;
        rows.push({ id: c.id, label, server: c.server, durationMs, stats, ratioP99, verdict: verdict(stats), ...result });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        rows.push({ id: c.id, label, server: c.server, durationMs: performance.now() - t0, stats: null, ratioP99: null, verdict: 'ERROR', detail: `failed: ${message}`, figures: {} });
      }
      const row = rows.at(-1)!;
      log(`  ${String(rows.length).padStart(2)}. ${label}: p99 ${row.stats?.p99Ms ?? 'n/a'} ms, loop delay max ${row.stats?.serverLagMaxMs ?? 'n/a'} ms: ${row.verdict}`);
    }
    const partial = { idle, rows };
    for (const s of servers.splice(0)) {
      const exit = await s.stop();
      stopped.push({ name: s.name, pid: s.pid, warnings: s.warnings(), exit: `${exit.code ?? exit.signal}${exit.forced ? ' (SIGKILL after 10 s)' : ''}` });
    }
    const loadavgAfter = loadavg();
    log(`  /proc/loadavg after: ${loadavgAfter}`);
    return { loadavgBefore, loadavgAfter, counts, fixtures: { bombs: fx.bombs, journalEntries: fx.journalEntries, buildMs: fx.buildMs }, ...partial, servers: stopped, table: renderAbuseTable(partial) };
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    rmSync(fx.dir, { recursive: true, force: true });
  }
}
