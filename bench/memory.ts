/**
 * Phase 3: memory of the real `hostlens serve` (dist/app/cli.js) in children.
 * First the idle RSS of each way users start it, each alone and as they would
 * (no bench flag or hook): `node dist/app/cli.js serve`, the bin by its
 * shebang (what `hostlens` and `npx hostlens` run) and `--stdio`. Then:
 *   node --expose-gc --import bench/targets/gc-hook.mjs dist/app/cli.js serve --port 0 --max-sessions 2000
 * The hook, on SIGUSR2, runs a full GC and prints process.memoryUsage(); the
 * bench reads VmRSS from /proc/<pid>/status itself.
 *
 * Method:
 *  0. per launch: wait for the ready line, let the sampler settle (3 s), read
 *     VmRSS as is; `node dist/app/cli.js serve` is the headline idle RSS.
 *  1. idle (hook child): the same wait, VmRSS as is, then force a GC and read it again.
 *  2. open sessions in two halves (initialize + notifications/initialized
 *     each, 8 at a time), idle 2 s, force a GC, read VmRSS and the heap.
 *  3. per idle session = (RSS after N sessions − idle RSS) / N, both after a
 *     forced GC; the second half alone gives the marginal cost (no one-time
 *     warm-up in it). Heap (heapUsed + external) deltas are a cross-check.
 */
import { accessSync, constants, existsSync } from 'node:fs';
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

export interface LaunchIdle {
  launch: string;
  /** null when it could not be measured (`note` says why). */
  rssKiB: number | null;
  note?: string;
}

export interface MemoryResult {
  command: string;
  /** Idle VmRSS of `node dist/app/cli.js serve` (the first of idleByLaunch). */
  idleRssKiB: number;
  idleByLaunch: LaunchIdle[];
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
  'VmRSS of `node dist/app/cli.js serve` read from /proc/<pid>/status. Idle = 3 s after listening (sampler settled), as is, ' +
  'for each launch path started alone without bench flags or hooks (the entry applies the node flags itself). ' +
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
  const idleByLaunch = await idleOfLaunches(options.repoRoot, cli, options.log);
  const headline = idleByLaunch[0]?.rssKiB;
  if (headline === null || headline === undefined) throw new Error(`idle RSS of ${idleByLaunch[0]?.launch}: ${idleByLaunch[0]?.note}`);
  const hook = pathToFileURL(fileURLToPath(new URL('./targets/gc-hook.mjs', import.meta.url))).href;
  // SERVER_NODE_FLAGS is empty unless BENCH_NODE_FLAGS asks for an experiment: the entry applies the product's flags.
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
      idleRssKiB: headline,
      idleByLaunch,
      idleRssMB: round((headline * 1024) / 1e6, 1),
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

/** The ways users start hostlens, each alone; VmRSS 3 s after it is ready. */
async function idleOfLaunches(repoRoot: string, cli: string, log: (line: string) => void): Promise<LaunchIdle[]> {
  const listening = (line: Record<string, unknown>): true | null => (line.msg === 'listening' ? true : null);
  const launches = [
    { launch: 'node dist/app/cli.js serve', command: process.execPath, args: [cli, 'serve', '--port', '0'], ready: listening },
    { launch: 'dist/app/cli.js serve (the hostlens bin, by its shebang)', command: cli, args: ['serve', '--port', '0'], ready: listening },
    { launch: 'node dist/app/cli.js serve --stdio', command: process.execPath, args: [cli, 'serve', '--stdio'], ready: (line: Record<string, unknown>) => (line.msg === 'serving on stdio' ? true : null) },
  ];
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HOSTLENS_')) env[k] = v;
  const out: LaunchIdle[] = [];
  for (const l of launches) {
    if (l.command === cli) {
      try {
        accessSync(cli, constants.X_OK);
      } catch {
        out.push({ launch: l.launch, rssKiB: null, note: 'dist/app/cli.js is not executable here (npm link, npm install and npx make it so)' });
        continue;
      }
    }
    const child = await startChild<true>({ command: l.command, args: l.args, cwd: repoRoot, stream: 'stderr', env, timeoutMs: 20_000, ready: l.ready });
    try {
      await sleep(3_000);
      const rssKiB = (await readVm(child.pid)).rssKiB;
      log(`  idle, ${l.launch}: VmRSS ${rssKiB} KiB`);
      out.push({ launch: l.launch, rssKiB });
    } finally {
      await child.stop(10_000);
    }
  }
  return out;
}
