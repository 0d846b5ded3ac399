/**
 * Phase 8: hostlens with a shared session store and replicas. Everything runs
 * on loopback in children of the bench, killed by PID whatever happens:
 *   floor   bare node:http JSON-RPC handler (bench/targets/load-target.ts)
 *   memory  one `hostlens serve` with the default memory store
 *   redis   one `hostlens serve --store redis://…` (a redis-server of its own)
 *   nginx   three replicas on one Redis behind nginx (test/support/cluster.ts)
 * Every server reads the idle fixture tree and runs with one static token
 * (auth on, as a replica behind a proxy must), no rate limit, and caps raised
 * past the load. Per cell: req/s and p50/p99 of a trivial call (get_pressure,
 * cheap and the same in both eras) in each era after a warm-up, and the ratio
 * to the floor at the same concurrency. Then: RSS per idle legacy session
 * (memory store, forced GC before both readings), Redis used_memory per idle
 * session (INFO memory before/after), the Redis commands one legacy call
 * sends (INFO commandstats over 200 calls at c=1), and how long a session
 * takes to answer again after the replica that served its initialize is
 * SIGKILLed (nginx moves on).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './child.js';
import type { StartedChild } from './child.js';
import { killPid, onCleanup } from './cleanup.js';
import { CALL, legacyCall, openMany, openSession, runCell } from './cluster-drive.js';
import type { DriveCell, Era } from './cluster-drive.js';
import { now, readVm, round, sleep, table, within } from './stats.js';
import type { Check } from './summary.js';
import { keepAliveAgent } from './wire.js';
import { AUTH_JSON, clusterSkip, startCluster, TOKENS } from '../test/support/cluster.js';
import { redisSkip, startRedis } from '../test/support/redis-server.js';

export interface ClusterBenchOptions {
  repoRoot: string;
  requests: number;
  warmup: number;
  /** Idle sessions for the memory figures. */
  sessions: number;
  failoverRounds: number;
  log: (line: string) => void;
}

export interface ClusterBenchResult {
  call: string;
  cells: DriveCell[];
  /** req/s ÷ the floor's req/s at the same concurrency. */
  ratios: Array<{ target: string; era: Era; concurrency: number; ratio: number }>;
  memoryKiBPerSession: number | null;
  redisBytesPerSession: number | null;
  /** Redis commands per legacy call at c=1 (INFO commandstats), and the most frequent ones. */
  redisCommandsPerCall: { total: number; top: Array<{ command: string; perCall: number }> } | null;
  failover: Array<{ ms: number; failedCalls: number; firstError?: string }>;
  /** Sections that could not be measured, and why. */
  errors: string[];
  /** Sections left out because a program they need is not installed (not an error). */
  skipped: string[];
  table: string;
}

const TOKEN = TOKENS.ops;
const GC_HOOK = fileURLToPath(new URL('./targets/gc-hook.mjs', import.meta.url));

function serverEnv(sessions: number): Record<string, string> {
  return {
    HOSTLENS_AUTH: AUTH_JSON,
    HOSTLENS_AUDIT_LOG: 'off',
    HOSTLENS_RATE_LIMIT: '0',
    HOSTLENS_MAX_SESSIONS: String(sessions + 1_000),
    HOSTLENS_MAX_SESSIONS_PER_PRINCIPAL: String(sessions + 1_000),
    HOSTLENS_TOOL_CONCURRENCY: '64',
    HOSTLENS_MAX_STREAMS_PER_PRINCIPAL: '256',
  };
}

/** `hostlens serve` on a free port over the idle fixture tree (the GC hook preloaded, for the memory figure). */
function startServer(o: ClusterBenchOptions, store: string | null): Promise<StartedChild<number>> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HOSTLENS_')) env[k] = v;
  const args = ['--expose-gc', '--import', GC_HOOK, '--import', 'tsx', join(o.repoRoot, 'src/app/cli.ts'), 'serve', '--port', '0', '--root', join(o.repoRoot, 'test/fixtures/hosts/idle')];
  if (store !== null) args.push('--store', store);
  return startChild<number>({
    args,
    cwd: o.repoRoot,
    stream: 'stderr',
    env: { ...env, ...serverEnv(o.sessions) },
    timeoutMs: 60_000,
    ready: (line) => (line.msg === 'listening' && typeof line.port === 'number' ? line.port : null),
  });
}

async function gcRss(server: StartedChild<number>): Promise<number> {
  const report = new Promise<void>((resolve) => {
    const off = server.onLine((line) => {
      if (line.benchMemory) {
        off();
        resolve();
      }
    });
  });
  process.kill(server.pid, 'SIGUSR2');
  await within(10_000, 'GC report', report);
  await sleep(500);
  return (await readVm(server.pid)).rssKiB;
}

/** Calls per command since the server started (INFO commandstats). */
function redisCommandStats(port: number): Map<string, number> {
  const out = spawnSync('redis-cli', ['-p', String(port), 'info', 'commandstats'], { encoding: 'utf8', timeout: 10_000 });
  const stats = new Map<string, number>();
  for (const m of (out.stdout ?? '').matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) stats.set(m[1] ?? '?', Number(m[2]));
  return stats;
}

function redisUsedMemory(port: number): number {
  const out = spawnSync('redis-cli', ['-p', String(port), 'info', 'memory'], { encoding: 'utf8', timeout: 10_000 });
  const m = /^used_memory:(\d+)/m.exec(out.stdout ?? '');
  if (!m) throw new Error(`redis-cli info memory: ${out.stderr || out.stdout}`);
  return Number(m[1]);
}

export async function runCluster(o: ClusterBenchOptions): Promise<ClusterBenchResult> {
  const cells: DriveCell[] = [];
  const errors: string[] = [];
  const skipped: string[] = [];
  let memoryKiBPerSession: number | null = null;
  let redisBytesPerSession: number | null = null;
  let redisCommandsPerCall: ClusterBenchResult['redisCommandsPerCall'] = null;
  const failover: ClusterBenchResult['failover'] = [];

  const measure = async (target: string, port: number, eras: Era[], concurrencies: number[]): Promise<void> => {
    for (const c of concurrencies) {
      for (const era of eras) {
        const cell = await runCell(target, era, port, TOKEN, c, o.requests, o.warmup);
        cells.push(cell);
        o.log(`  ${target.padEnd(7)} ${era.padEnd(6)} c=${String(c).padStart(2)}: ${cell.reqPerSec} req/s, p50 ${cell.latencyMs.p50} ms, p99 ${cell.latencyMs.p99} ms${cell.errors ? `, ${cell.errors} errors (${cell.firstError})` : ''}`);
      }
    }
  };
  const section = async (name: string, body: () => Promise<void>, skip: string | false = false): Promise<void> => {
    if (skip) {
      skipped.push(`${name}: ${skip}`);
      o.log(`  ${name}: skipped: ${skip}`);
      return;
    }
    try {
      await body();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push(`${name}: ${message}`);
      o.log(`  ${name}: NOT MEASURED: ${message.slice(0, 300)}`);
    }
  };

  await section('floor', async () => {
    const floor = await startChild({
      args: ['--import', 'tsx', fileURLToPath(new URL('./targets/load-target.ts', import.meta.url))],
      cwd: o.repoRoot,
      stream: 'stdout',
      timeoutMs: 30_000,
      ready: (line) => (typeof line.barePort === 'number' ? line.barePort : null),
    });
    try {
      await measure('floor', floor.ready, ['floor'], [1, 16, 64]);
    } finally {
      await floor.stop(5_000);
    }
  });

  await section('memory store', async () => {
    const server = await startServer(o, null);
    try {
      await measure('memory', server.ready, ['legacy', 'modern'], [1, 16, 64]);
      const before = await gcRss(server);
      await openMany(server.ready, TOKEN, o.sessions);
      await sleep(2_000);
      const after = await gcRss(server);
      memoryKiBPerSession = round((after - before) / o.sessions, 2);
      o.log(`  memory store: ${o.sessions} idle sessions, VmRSS ${before} → ${after} KiB after a forced GC: ${memoryKiBPerSession} KiB per session`);
    } finally {
      await server.stop(10_000);
    }
  });

  await section('redis store', async () => {
    const redis = await startRedis();
    const unregister = onCleanup(() => killPid(redis.pid, 'SIGKILL'));
    try {
      const server = await startServer(o, redis.url);
      try {
        await measure('redis', server.ready, ['legacy', 'modern'], [1, 16, 64]);
        // What one legacy call asks of Redis: the commands it sends, one after another at c=1.
        const agent = keepAliveAgent(1);
        try {
          const sid = await openSession(agent, server.ready, TOKEN);
          const calls = 200;
          const before = redisCommandStats(redis.port);
          for (let i = 0; i < calls; i++) await legacyCall(agent, server.ready, TOKEN, sid, i + 1);
          const after = redisCommandStats(redis.port);
          const per = [...after].map(([command, n]) => ({ command, perCall: round((n - (before.get(command) ?? 0)) / calls, 2) })).filter((x) => x.perCall > 0);
          per.sort((x, y) => y.perCall - x.perCall);
          redisCommandsPerCall = { total: round(per.reduce((n, x) => n + x.perCall, 0), 2), top: per.slice(0, 6) };
          o.log(`  redis store: ${redisCommandsPerCall.total} Redis commands per legacy call (${per.slice(0, 6).map((x) => `${x.command} ${x.perCall}`).join(', ')})`);
        } finally {
          agent.destroy();
        }
        const before = redisUsedMemory(redis.port);
        await openMany(server.ready, TOKEN, o.sessions);
        const after = redisUsedMemory(redis.port);
        redisBytesPerSession = round((after - before) / o.sessions, 0);
        o.log(`  redis store: ${o.sessions} idle sessions, used_memory ${before} → ${after} bytes: ${redisBytesPerSession} bytes per session`);
      } finally {
        await server.stop(10_000);
      }
    } finally {
      await redis.stop();
      unregister();
    }
  }, redisSkip);

  await section('three replicas behind nginx', async () => {
    const cluster = await startCluster({ replicas: 3, env: serverEnv(o.sessions) });
    const unregister = onCleanup(() => {
      for (const r of cluster.replicas) killPid(r.pid, 'SIGKILL');
      killPid(cluster.nginx.pid, 'SIGTERM');
      killPid(cluster.redis.pid, 'SIGKILL');
    });
    try {
      await measure('nginx×3', cluster.nginx.port, ['legacy', 'modern'], [16, 64]);
      for (let round_ = 0; round_ < o.failoverRounds; round_++) {
        const agent = keepAliveAgent(1);
        try {
          const mark = cluster.nginx.mark();
          const sid = await openSession(agent, cluster.nginx.port, TOKEN);
          const [init] = await cluster.nginx.waitAccess(mark, 1);
          const victim = cluster.replicaAt(init?.upstream);
          if (!victim) throw new Error(`initialize went to an unknown upstream ${String(init?.upstream)}`);
          await legacyCall(agent, cluster.nginx.port, TOKEN, sid, 1);
          const t0 = now();
          const killed = cluster.kill(victim.index);
          let failedCalls = 0;
          let firstError: string | undefined;
          for (;;) {
            try {
              await legacyCall(agent, cluster.nginx.port, TOKEN, sid, 2 + failedCalls);
              break;
            } catch (error) {
              firstError ??= (error as Error).message.slice(0, 200);
              if (++failedCalls >= 200) throw new Error(`the session did not answer after ${failedCalls} calls: ${firstError}`);
            }
          }
          const ms = round(now() - t0, 1);
          await killed;
          failover.push({ ms, failedCalls, ...(firstError !== undefined ? { firstError } : {}) });
          o.log(`  failover ${round_ + 1}: the session answered ${ms} ms after its initialize replica was SIGKILLed (${failedCalls} failed calls before${firstError ? `; first: ${firstError}` : ''})`);
          await cluster.restart(victim.index);
        } finally {
          agent.destroy();
        }
      }
    } finally {
      await cluster.close();
      unregister();
    }
  }, clusterSkip);

  const ratios: ClusterBenchResult['ratios'] = [];
  for (const cell of cells) {
    const floor = cells.find((f) => f.era === 'floor' && f.concurrency === cell.concurrency);
    if (cell.era !== 'floor' && floor) ratios.push({ target: cell.target, era: cell.era, concurrency: cell.concurrency, ratio: round(cell.reqPerSec / floor.reqPerSec, 3) });
  }
  const rows = cells.map((cell) => [
    cell.target,
    cell.era,
    String(cell.concurrency),
    String(cell.reqPerSec),
    cell.latencyMs.p50.toFixed(2),
    cell.latencyMs.p99.toFixed(2),
    cell.era === 'floor' ? '1' : String(ratios.find((r) => r.target === cell.target && r.era === cell.era && r.concurrency === cell.concurrency)?.ratio ?? 'n/a'),
    String(cell.errors),
  ]);
  return {
    call: `tools/call ${CALL.name}`,
    cells,
    ratios,
    memoryKiBPerSession,
    redisBytesPerSession,
    redisCommandsPerCall,
    failover,
    errors,
    skipped,
    table: table(['target', 'era', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'ratio vs floor', 'errors'], rows),
  };
}

/** The targets: legacy c=16 with the memory store ≥ 0.20× the floor; Redis store p50 ≤ memory p50 + 1 ms at c=1 (legacy). */
export function clusterChecks(r: ClusterBenchResult | undefined): Check[] {
  if (!r) return [];
  const cell = (target: string, era: Era, c: number): DriveCell | undefined => r.cells.find((x) => x.target === target && x.era === era && x.concurrency === c);
  const ratio = r.ratios.find((x) => x.target === 'memory' && x.era === 'legacy' && x.concurrency === 16)?.ratio ?? null;
  const memory = cell('memory', 'legacy', 1);
  const redis = cell('redis', 'legacy', 1);
  const diff = memory && redis ? round(redis.latencyMs.p50 - memory.latencyMs.p50, 3) : null;
  const modernDiff = cell('redis', 'modern', 1) && cell('memory', 'modern', 1) ? round((cell('redis', 'modern', 1)?.latencyMs.p50 ?? 0) - (cell('memory', 'modern', 1)?.latencyMs.p50 ?? 0), 3) : null;
  return [
    {
      name: 'legacy c=16, memory store, vs the bare node:http floor',
      value: ratio,
      unit: '×',
      target: '≥ 0.20×',
      pass: ratio === null ? null : ratio >= 0.2,
      note: ratio === null ? 'not measured' : `${cell('memory', 'legacy', 16)?.reqPerSec} vs ${cell('floor', 'floor', 16)?.reqPerSec} req/s (${r.call})`,
    },
    {
      name: 'Redis store p50 minus memory store p50, legacy c=1',
      value: diff,
      unit: 'ms',
      target: '≤ +1 ms',
      pass: diff === null ? null : diff <= 1,
      note: diff === null ? 'not measured' : `${redis?.latencyMs.p50} vs ${memory?.latencyMs.p50} ms; 2026-07-28: ${modernDiff} ms`,
    },
  ];
}
