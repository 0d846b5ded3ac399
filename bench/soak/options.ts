/**
 * Soak options: flags override SOAK_* environment variables, which override the defaults
 * (50 clients for 300 s, session TTL 20 s). Every value is bounded so a typo cannot make the
 * soak run for hours.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SNAPSHOT_MAX_COUNT } from '../../src/snapshots/store.js';

export interface SoakOptions {
  /** Concurrent virtual clients (half legacy sessions, half 2026-07-28 stateless). */
  clients: number;
  /** Load duration in seconds (the TTL wait and the SIGTERM phase come after it). */
  durationSec: number;
  /** The server's legacy session idle TTL (--session-ttl-sec). */
  sessionTtlSec: number;
  /** Seconds between two report lines. */
  reportEverySec: number;
  /** Think time between a client's operations: uniform in [min, max] ms. */
  thinkMs: { min: number; max: number };
  /** windowSec of the windowed tool calls during the load. */
  windowSec: number;
  /** windowSec of the slow calls in flight when SIGTERM is sent. */
  drainWindowSec: number;
  /** Slow calls in flight at SIGTERM. */
  drainCalls: number;
  /** Warm-up excluded from the flatness check: this share of the run, at most 60 s. */
  warmupSec: number;
  /** 'dist' runs `node dist/app/cli.js serve` (built first when stale); 'tsx' runs src/app/cli.ts (the test). */
  server: 'dist' | 'tsx';
  /** capture_snapshot calls before the load (default: the store's 20, so it is full before the warm-up ends). */
  prefillSnapshots: number;
  /** Also measure the heap after a forced full GC at every report (server runs with --expose-gc and bench/targets/gc-hook.mjs). */
  gc: boolean;
  build: boolean;
  /** Where the figures go (relative to the repository unless absolute). */
  out: string;
  seed: number;
}

const int = (name: string, v: string | undefined, dflt: number, min: number, max: number): number => {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number in ${min}..${max}, got "${v}"`);
  return n;
};

export function defaultWarmupSec(durationSec: number): number {
  return Math.min(60, Math.round(durationSec * 0.2 * 10) / 10);
}

export function soakOptions(partial: Partial<SoakOptions> = {}): SoakOptions {
  const durationSec = partial.durationSec ?? 300;
  return {
    clients: 50,
    durationSec,
    sessionTtlSec: 20,
    reportEverySec: 10,
    thinkMs: { min: 150, max: 900 },
    windowSec: 1,
    drainWindowSec: 3,
    drainCalls: 8,
    warmupSec: defaultWarmupSec(durationSec),
    server: 'dist',
    gc: false,
    prefillSnapshots: DEFAULT_SNAPSHOT_MAX_COUNT,
    build: true,
    out: 'bench/results/soak-latest.json',
    seed: Date.now() % 2 ** 31,
    ...partial,
  };
}

/** `npm run soak [-- --sec 60 --clients 20 --ttl 10 --no-build]`; SOAK_SEC, SOAK_CLIENTS, SOAK_TTL_SEC, SOAK_SEED likewise. */
export function parseSoakArgs(argv: string[], env: NodeJS.ProcessEnv): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      sec: { type: 'string' },
      clients: { type: 'string' },
      ttl: { type: 'string' },
      'report-every': { type: 'string' },
      'think-min': { type: 'string' },
      'think-max': { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'no-build': { type: 'boolean' },
      tsx: { type: 'boolean' },
      gc: { type: 'boolean' },
    },
    strict: true,
  });
  const durationSec = int('--sec / SOAK_SEC', values.sec ?? env.SOAK_SEC, 300, 5, 3600);
  const thinkMin = int('--think-min', values['think-min'] ?? env.SOAK_THINK_MIN_MS, 150, 0, 10_000);
  const thinkMax = int('--think-max', values['think-max'] ?? env.SOAK_THINK_MAX_MS, 900, thinkMin, 20_000);
  return soakOptions({
    durationSec,
    clients: int('--clients / SOAK_CLIENTS', values.clients ?? env.SOAK_CLIENTS, 50, 1, 500),
    sessionTtlSec: int('--ttl / SOAK_TTL_SEC', values.ttl ?? env.SOAK_TTL_SEC, 20, 1, 600),
    reportEverySec: int('--report-every', values['report-every'] ?? env.SOAK_REPORT_EVERY_SEC, 10, 1, 600),
    thinkMs: { min: thinkMin, max: thinkMax },
    ...(values.seed ?? env.SOAK_SEED ? { seed: int('--seed / SOAK_SEED', values.seed ?? env.SOAK_SEED, 1, 0, 2 ** 31) } : {}),
    ...(values.out ? { out: values.out } : {}),
    build: !values['no-build'],
    server: values.tsx ? 'tsx' : 'dist',
    gc: values.gc === true || env.SOAK_GC === '1',
  });
}
