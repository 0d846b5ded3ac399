/**
 * Phase 3: memory of the real `hostlens serve` (dist/app/cli.js) in a child:
 *   node --max-semi-space-size=1 --heap-growing-percent=20 --expose-gc --import bench/targets/gc-hook.mjs dist/app/cli.js serve --port 0 --max-sessions 2000
 * The hook, on SIGUSR2, runs a full GC and prints process.memoryUsage(); the
 * bench reads VmRSS from /proc/<pid>/status itself.
 *
 * Method:
 *  1. idle: wait for the listening line, let the sampler settle (3 s), read
 *     VmRSS as is (the headline idle RSS), then force a GC and read it again.
 *  2. open sessions in two halves (initialize + notifications/initialized
 *     each, 8 at a time), idle 2 s, force a GC, read VmRSS and the heap.
 *  3. per idle session = (RSS after N sessions − idle RSS) / N, both after a
 *     forced GC; the second half alone gives the marginal cost (no one-time
 *     warm-up in it). Heap (heapUsed + external) deltas are a cross-check.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startChild } from './child.js';
import type { StartedChild } from './child.js';
import { readVm, round, sleep, within } from './stats.js';
import { closeLegacySession, keepAliveAgent, legacyHeaders, openLegacySession, post, resultOf } from './wire.js';
import { SERVER_NODE_FLAGS } from './node-flags.js';

export interface MemoryOptions {
  repoRoot: string;
  sessions: number;
  log: (line: string) => void;
}

interface HeapReport {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface MemoryPoint {
  sessions: number;
  rssKiB: number;
  rssAfterGcKiB: number;
  heapUsedKiB: number;
  externalKiB: number;
}

export interface MemoryResult {
  command: string;
  idleRssKiB: number;
  idleRssMB: number;
  points: MemoryPoint[];
  kibPerSession: number;
  marginalKiBPerSession: number;
  heapKiBPerSession: number;
  peakRssKiB: number;
  sessionsOpened: number;
  openMs: number;
  exit: { code: number | null; signal: string | null; forced: boolean; ms: number };
  method: string;
}

export const MEMORY_METHOD =
  'VmRSS of `node dist/app/cli.js serve` read from /proc/<pid>/status. Idle = 3 s after listening (sampler settled), as is. ' +
  'Per-session = (VmRSS after N idle sessions − idle VmRSS) / N, both taken 2 s after the last request and right after a forced full GC ' +
  '(the child runs with --expose-gc and a bench-only --import hook that calls gc() on SIGUSR2). Marginal = the second half of the sessions alone.';

async function forceGc(target: StartedChild<number>): Promise<HeapReport> {
  const report = new Promise<HeapReport>((resolve, reject) => {
    const off = target.onLine((line) => {
      const m = line.benchMemory as (HeapReport & { gc: boolean }) | undefined;
      if (!m) return;
      off();
      if (m.gc) resolve(m);
      else reject(new Error('gc() is not exposed in the memory target'));
    });
  });
  process.kill(target.pid, 'SIGUSR2');
  const heap = await within(10_000, 'GC report from the memory target', report);
  await sleep(500);
  return heap;
}

async function point(target: StartedChild<number>, sessions: number): Promise<MemoryPoint> {
  const before = await readVm(target.pid);
  const heap = await forceGc(target);
  const after = await readVm(target.pid);
  return {
    sessions,
    rssKiB: before.rssKiB,
    rssAfterGcKiB: after.rssKiB,
    heapUsedKiB: Math.round(heap.heapUsed / 1024),
    externalKiB: Math.round(heap.external / 1024),
  };
}

async function openMany(port: number, count: number, concurrency: number): Promise<string[]> {
  const agent = keepAliveAgent(concurrency);
  const ids: string[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next++;
          ids.push(await openLegacySession(agent, port));
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return ids;
}

export async function runMemory(options: MemoryOptions): Promise<MemoryResult> {
  const cli = join(options.repoRoot, 'dist', 'app', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build`);
  const hook = pathToFileURL(fileURLToPath(new URL('./targets/gc-hook.mjs', import.meta.url))).href;
  // The same V8 flag the hostlens bin and `npm start` run with (a 1 MiB young generation).
  const args = [...SERVER_NODE_FLAGS, '--expose-gc', '--import', hook, cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--max-sessions', String(options.sessions * 2), '--log-level', 'info'];
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HOSTLENS_')) env[k] = v;
  // The phase opens 1,000 sessions as one (anonymous) principal as fast as it can: the per-principal limits are
  // what it would hit, not memory. Lifting them changes no allocation per session.
  env.HOSTLENS_RATE_LIMIT = '0';
  env.HOSTLENS_MAX_STREAMS_PER_PRINCIPAL = String(options.sessions * 4);
  env.HOSTLENS_MAX_SESSIONS_PER_PRINCIPAL = String(options.sessions * 2);
  const target = await startChild<number>({
    args,
    cwd: options.repoRoot,
    stream: 'stderr',
    env,
    timeoutMs: 20_000,
    ready: (line) => (line.msg === 'listening' && typeof line.port === 'number' ? line.port : null),
  });
  const port = target.ready;
  let warned = 0;
  target.onLine((line) => {
    if ((line.level === 'warn' || line.level === 'error') && warned++ < 5) options.log(`  memory target ${String(line.level)}: ${String(line.msg)} ${JSON.stringify(line)}`);
  });
  let exit: MemoryResult['exit'] | undefined;
  try {
    await sleep(3_000);
    const idle = await point(target, 0);
    options.log(`  idle: VmRSS ${idle.rssKiB} KiB (${idle.rssAfterGcKiB} KiB after GC), heapUsed ${idle.heapUsedKiB} KiB`);

    const half = Math.floor(options.sessions / 2);
    const t0 = performance.now();
    const ids = await openMany(port, half, 8);
    await sleep(2_000);
    const mid = await point(target, ids.length);
    ids.push(...(await openMany(port, options.sessions - half, 8)));
    const openMs = performance.now() - t0 - 2_000;
    await sleep(2_000);
    const full = await point(target, ids.length);
    options.log(`  after ${ids.length} idle sessions: VmRSS ${full.rssKiB} KiB (${full.rssAfterGcKiB} KiB after GC), heapUsed ${full.heapUsedKiB} KiB`);

    // The sessions are still alive (not reaped, not refused): ping the first one.
    const agent = keepAliveAgent(1);
    const first = ids[0];
    if (first === undefined) throw new Error('no session was opened');
    const ping = await post(agent, port, legacyHeaders(first), JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    resultOf(ping, 'ping on the first idle session');
    await closeLegacySession(agent, port, first);
    agent.destroy();
    const peak = await readVm(target.pid);

    const t1 = performance.now();
    const stopped = await target.stop(20_000);
    exit = { code: stopped.code, signal: stopped.signal, forced: stopped.forced, ms: round(performance.now() - t1, 0) };

    const n = ids.length;
    return {
      command: `node ${args.map((a) => (a === hook ? 'bench/targets/gc-hook.mjs' : a.startsWith(options.repoRoot) ? a.slice(options.repoRoot.length + 1) : a)).join(' ')}`,
      idleRssKiB: idle.rssKiB,
      idleRssMB: round((idle.rssKiB * 1024) / 1e6, 1),
      points: [idle, mid, full],
      kibPerSession: round((full.rssAfterGcKiB - idle.rssAfterGcKiB) / n, 1),
      marginalKiBPerSession: round((full.rssAfterGcKiB - mid.rssAfterGcKiB) / (n - mid.sessions), 1),
      heapKiBPerSession: round((full.heapUsedKiB + full.externalKiB - idle.heapUsedKiB - idle.externalKiB) / n, 1),
      peakRssKiB: peak.hwmKiB,
      sessionsOpened: n,
      openMs: round(openMs, 0),
      exit,
      method: MEMORY_METHOD,
    };
  } finally {
    if (!exit) await target.stop(5_000);
  }
}
