/**
 * The soak's figures: the per-window samples, the flatness of RSS and open fds after warm-up,
 * the hard checks (exit code), the summary block and bench/results/soak-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DrainResult } from './drain.js';
import type { Unexpected } from './recorder.js';

export interface Sample {
  tSec: number;
  ok: number;
  expected: number;
  dropped: number;
  unexpected: number;
  p50Ms: number;
  p99Ms: number;
  rssKiB: number | null;
  fds: number | null;
  /** hostlens_sessions_open from /metrics, or null when /metrics is not served. */
  sessionsOpen: number | null;
  sseStreamsOpen: number | null;
  sessionsOpened: number;
  sessionsDeleted: number;
  sessionsAbandoned: number;
  /** The driver's longest event-loop stall in the window (ms). */
  clientLagMaxMs: number;
  /** With --gc: VmRSS and JS heap (used + external) right after a forced full GC. */
  afterGc?: { rssKiB: number; heapKiB: number };
}

/** RSS and open fds of the server, sampled every 2 s during the load. */
export interface ProcSample {
  tSec: number;
  rssKiB?: number | null;
  fds?: number | null;
  heapAfterGcKiB?: number | null;
}

type FlatMetric = 'rssKiB' | 'fds' | 'heapAfterGcKiB';
const LABEL: Record<FlatMetric, string> = { rssKiB: 'RSS', fds: 'open fds', heapAfterGcKiB: 'JS heap after GC' };

export interface Flatness {
  metric: FlatMetric;
  samples: number;
  first: number | null;
  last: number | null;
  min: number | null;
  max: number | null;
  /** Means of the first and the last third of the samples after warm-up. */
  firstThirdMean: number | null;
  lastThirdMean: number | null;
  /** (lastThirdMean − firstThirdMean) / firstThirdMean, percent: the drift. */
  driftPct: number | null;
  /** (max − min) / min, percent: how much a single sample swings (GC, connections); informational. */
  spreadPct: number | null;
  pass: boolean | null;
}

const pct = (a: number, b: number): number => Math.round(((a - b) / Math.max(1, b)) * 1000) / 10;
const mean = (v: readonly number[]): number => v.reduce((n, x) => n + x, 0) / Math.max(1, v.length);

/**
 * Flat = the mean of the last third of the samples taken after warm-up is within ±limitPct of the
 * mean of the first third. Thirds, not single samples: RSS swings with every major GC and fds with
 * the number of open connections, while a leak shows as drift. Needs ≥ 3 samples.
 */
export function flatness(samples: readonly ProcSample[], metric: FlatMetric, warmupSec: number, limitPct = 10): Flatness {
  const values = samples.filter((s) => s.tSec >= warmupSec).map((s) => s[metric]).filter((v): v is number => typeof v === 'number');
  const base = { metric, samples: values.length, first: values[0] ?? null, last: values[values.length - 1] ?? null };
  if (values.length < 3) return { ...base, min: null, max: null, firstThirdMean: null, lastThirdMean: null, driftPct: null, spreadPct: null, pass: null };
  const third = Math.floor(values.length / 3);
  const firstThirdMean = Math.round(mean(values.slice(0, third)));
  const lastThirdMean = Math.round(mean(values.slice(values.length - third)));
  const min = Math.min(...values);
  const max = Math.max(...values);
  const driftPct = pct(lastThirdMean, firstThirdMean);
  return { ...base, min, max, firstThirdMean, lastThirdMean, driftPct, spreadPct: pct(max, min), pass: Math.abs(driftPct) <= limitPct };
}

export interface SessionCheck {
  ttlSec: number;
  waitedSec: number;
  /** Abandoned sessions still open when the load stopped (metrics gauge, else probes answering). */
  openAtStop: number | null;
  /** Abandoned ids probed right when the load stopped that still answered (they were really left open). */
  abandonedAliveAtStop: number;
  abandonedIds: number;
  probed: number;
  /** Probes that did NOT answer 404 -32001 after the TTL. */
  probesAlive: number;
  metricsAfterTtl: number | null;
  left: number;
}

export interface HardCheck {
  name: string;
  pass: boolean;
  detail: string;
}

export interface SoakReport {
  startedAt: string;
  durationSec: number;
  options: Record<string, unknown>;
  server: { command: string; pid: number; auth: string; config: Record<string, unknown>; metrics: boolean; audit: Array<{ name: string; bytes: number; lines: number }> };
  totals: { ok: number; expected: number; expectedByKind: Record<string, number>; dropped: number; unexpected: number; transportErrors: number; transportErrorMessages: string[]; keepAliveRetries: number; clientLagMaxMs: number; sessionsOpened: number; sessionsDeleted: number; sessionsAbandoned: number };
  latencyMs: { p50: number; p99: number; max: number; count: number };
  /** The same without the operations that wait a window by design (windowSec calls, get_cgroup, capture_snapshot). */
  instantLatencyMs: { p50: number; p99: number; max: number; count: number };
  /** The server's CPU time during the load, percent of one core. */
  serverCpuPctOfOneCore: number | null;
  okByOp: Record<string, number>;
  unexpected: Unexpected[];
  serverErrorLines: Array<Record<string, unknown>>;
  samples: Sample[];
  procSamples: ProcSample[];
  /** The server once the load stopped and the abandoned sessions expired (with --gc also after a forced GC). */
  idleAfterTtl: { rssKiB: number | null; fds: number | null; afterGc?: { rssKiB: number; heapKiB: number } } | null;
  warmupSec: number;
  flat: Flatness[];
  sessions: SessionCheck;
  drain: DrainResult | null;
  serverDiedDuringLoad: string | null;
  checks: HardCheck[];
  pass: boolean;
}

export function hardChecks(r: Omit<SoakReport, 'checks' | 'pass'>): HardCheck[] {
  const d = r.drain;
  return [
    { name: 'unexpected errors', pass: r.totals.unexpected === 0, detail: `${r.totals.unexpected} (expected errors ${r.totals.expected}, deliberate drops ${r.totals.dropped})` },
    { name: 'server 5xx / error log lines during the load', pass: r.serverErrorLines.length === 0, detail: String(r.serverErrorLines.length) },
    { name: 'server alive until SIGTERM', pass: r.serverDiedDuringLoad === null, detail: r.serverDiedDuringLoad ?? 'yes' },
    {
      // Not vacuous: some abandoned sessions must still have been open when the load stopped.
      name: 'sessions left after the TTL',
      pass: r.sessions.left === 0 && r.sessions.abandonedAliveAtStop > 0,
      detail:
        `${r.sessions.left} (${r.sessions.abandonedAliveAtStop}/${r.sessions.probed} abandoned ids still open at stop, ` +
        `${r.sessions.probesAlive} after the TTL; /metrics ${r.sessions.metricsAfterTtl ?? 'n/a'})`,
    },
    {
      name: 'SIGTERM drains in-flight calls and exits 0',
      pass: d?.pass === true,
      detail: d ? `${d.completed}/${d.calls} completed (${d.inFlightAtSigterm} in flight at the signal), exit ${d.exit.code ?? d.exit.signal}${d.exit.forced ? ' (SIGKILLed)' : ''} after ${d.exit.ms} ms` : 'not run',
    },
  ];
}

const mb = (kib: number | null): string => (kib === null ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`);

export function sampleLine(s: Sample): string {
  const sessions = s.sessionsOpen === null ? '' : ` | sessions ${s.sessionsOpen} streams ${s.sseStreamsOpen ?? '?'}`;
  const gc = s.afterGc ? ` | after GC: rss ${mb(s.afterGc.rssKiB)} heap ${mb(s.afterGc.heapKiB)}` : '';
  return (
    `t=${String(Math.round(s.tSec)).padStart(4)}s  ok ${String(s.ok).padStart(5)}  expected-err ${String(s.expected).padStart(3)}  dropped ${String(s.dropped).padStart(3)}  UNEXPECTED ${s.unexpected}` +
    `  p50 ${s.p50Ms} ms p99 ${s.p99Ms} ms | rss ${mb(s.rssKiB)} fds ${s.fds ?? 'n/a'}${sessions} | sess +${s.sessionsOpened} del ${s.sessionsDeleted} abandon ${s.sessionsAbandoned} | driver lag ${s.clientLagMaxMs} ms${gc}`
  );
}

export function renderSoakSummary(r: SoakReport, outPath: string): string {
  const rule = '='.repeat(78);
  const out: string[] = [rule, `hostlens soak summary  (${r.startedAt}, ${r.durationSec} s in all, ${String(r.options.clients)} clients, ${String(r.options.durationSec)} s of load)`, rule];
  const t = r.totals;
  out.push(`Server: ${r.server.command} (pid ${r.server.pid}); auth: ${r.server.auth}; /metrics: ${r.server.metrics ? 'yes' : 'not served'}`);
  const audit = r.server.audit;
  if (audit.length > 0) {
    out.push(`Audit log (rotated at 1 MiB, 3 kept): ${audit.map((f) => `${f.name} ${f.lines} lines / ${(f.bytes / 1024).toFixed(0)} KiB`).join(', ')}`);
  }
  out.push(
    `Calls: ${t.ok} ok, ${t.expected} expected errors (${Object.entries(t.expectedByKind).map(([k, v]) => `${k} ${v}`).join(', ')}), ${t.dropped} dropped on purpose, ${t.unexpected} UNEXPECTED; ` +
      `${t.transportErrors} transport errors outside calls (informational)`,
  );
  for (const m of t.transportErrorMessages) out.push(`  transport error: ${m}`);
  out.push(
    `Keep-alive races retried once (pooled connection closed by the server's keepAliveTimeout as the request left): ${t.keepAliveRetries}; ` +
      `the driver's longest event-loop stall ${t.clientLagMaxMs} ms (undici's margin is 1 s)`,
  );
  const l = r.latencyMs;
  const i = r.instantLatencyMs;
  out.push(`Latency of ok operations: p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms over ${l.count}; without windowed ones: p50 ${i.p50} ms, p99 ${i.p99} ms over ${i.count}`);
  out.push(`Server CPU during the load: ${r.serverCpuPctOfOneCore ?? 'n/a'} % of one core`);
  out.push(`Legacy sessions: ${t.sessionsOpened} opened, ${t.sessionsDeleted} deleted, ${t.sessionsAbandoned} abandoned without DELETE`);
  out.push(`After warm-up (first ${r.warmupSec} s excluded), sampled every 2 s; flat = mean of the last third within ±10 % of the first third's:`);
  for (const f of r.flat) {
    const fmt = (v: number | null): string => (f.metric === 'fds' ? String(v ?? 'n/a') : mb(v));
    const verdict = f.pass === null ? 'N/A ' : f.pass ? 'PASS' : 'MISS';
    out.push(
      `  [${verdict}] ${LABEL[f.metric]}: first ${fmt(f.first)}, last ${fmt(f.last)}, min ${fmt(f.min)}, max ${fmt(f.max)}; ` +
        `thirds ${fmt(f.firstThirdMean)} → ${fmt(f.lastThirdMean)} (drift ${f.driftPct ?? 'n/a'} %, swing ${f.spreadPct ?? 'n/a'} %) over ${f.samples} samples`,
    );
  }
  const idle = r.idleAfterTtl;
  if (idle) {
    out.push(
      `Idle after the TTL (no load, sessions expired): rss ${mb(idle.rssKiB)}, fds ${idle.fds ?? 'n/a'}` +
        (idle.afterGc ? `; after a forced GC rss ${mb(idle.afterGc.rssKiB)}, JS heap ${mb(idle.afterGc.heapKiB)}` : ''),
    );
  }
  const s = r.sessions;
  out.push(
    `Sessions: ${s.openAtStop ?? 'n/a'} open when the load stopped (${s.abandonedAliveAtStop}/${s.probed} abandoned ids still answering then); waited ${s.waitedSec} s (TTL ${s.ttlSec} s + reaper interval + margin); ` +
      `${s.left} left (${s.probed} abandoned ids probed, ${s.probesAlive} still answering; hostlens_sessions_open ${s.metricsAfterTtl ?? 'n/a'})`,
  );
  const d = r.drain;
  if (d) {
    const after = d.finishedAfterSigtermMs.filter(Number.isFinite);
    out.push(
      `SIGTERM with ${d.inFlightAtSigterm}/${d.calls} windowed calls in flight: ${d.completed} completed with a result ` +
        `(finished ${after.length ? `${Math.min(...after)}–${Math.max(...after)} ms` : 'n/a'} after the signal); exit code ${d.exit.code ?? d.exit.signal}` +
        `${d.exit.forced ? ' after SIGKILL' : ''} ${d.exit.ms} ms after SIGTERM (grace ${d.graceSec} s); inflightCallsAbandoned ${String(d.inflightCallsAbandoned ?? 'n/a')}`,
    );
    for (const e of d.errors.slice(0, 5)) out.push(`  drain error: ${e}`);
  }
  for (const u of r.unexpected.slice(0, 10)) out.push(`  UNEXPECTED at ${u.atSec} s in ${u.op}: ${u.message}`);
  for (const l of r.serverErrorLines.slice(0, 5)) out.push(`  server: ${JSON.stringify(l).slice(0, 240)}`);
  out.push('Hard checks:');
  for (const c of r.checks) out.push(`  [${c.pass ? 'PASS' : 'FAIL'}] ${c.name}: ${c.detail}`);
  out.push(`Result: ${r.pass ? 'PASS' : 'FAIL'}   Figures: ${outPath}`, rule);
  return out.join('\n');
}

export function writeSoakReport(path: string, report: SoakReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
