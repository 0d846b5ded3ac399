/**
 * `npm run bench`: hostlens performance figures (never part of the tests).
 * Loopback only, fixed request counts, bounded in time (a watchdog ends the
 * run after 12 minutes), and every process it starts is killed on the way out.
 *
 * Usage: npm run bench [-- --quick] [-- --only load,processes,memory,tools,sampler,abuse,context,cluster] [-- --no-build]
 *   --requests N   measured requests per throughput cell (default 2000; --quick 500)
 *   --calls N      calls per tool per way in for the process phase, and per tool in the tools phase (default 30; --quick 10)
 *   --sampler-seconds N  how long the sampler phase lets the sampler tick (default 60; --quick 15)
 *   --sleepers N   extra sleeping processes (default 1000)
 *   --sessions N   idle legacy sessions for the memory phase (default 1000)
 *   --cluster-sessions N  idle legacy sessions for the cluster phase's memory figures (default 10000; --quick 2000)
 *   --quick also halves the abuse phase's counts (bench/abuse.ts) and the context phase's compile rounds (20 → 5)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runAbuse } from './abuse.js';
import type { AbuseResult } from './abuse.js';
import { ensureBuilt } from './build.js';
import { clusterChecks, runCluster } from './cluster.js';
import type { ClusterBenchResult } from './cluster.js';
import { runContext } from './context.js';
import type { ContextResult } from './context.js';
import { runLoad } from './load.js';
import type { LoadResult } from './load.js';
import { runMemory } from './memory.js';
import type { MemoryResult } from './memory.js';
import { runProcesses } from './processes.js';
import type { ProcessesResult } from './processes.js';
import { runSamplerBench } from './sampler.js';
import { stopBenchServices } from './server-env.js';
import type { SamplerBenchResult } from './sampler.js';
import { runTools } from './tools.js';
import type { ToolsResult } from './tools.js';
import { round, sleep } from './stats.js';
import { abuseChecks, checks, contextChecks, renderSummary, samplerChecks, toolsChecks, writeReport } from './summary.js';
import type { BenchReport } from './summary.js';

const REPO = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const RESULTS = join(REPO, 'bench', 'results', 'latest.json');
const WATCHDOG_MS = 12 * 60_000;
const PHASES = ['load', 'processes', 'memory', 'tools', 'sampler', 'abuse', 'context', 'cluster'] as const;
type Phase = (typeof PHASES)[number];

const log = (line: string): void => void process.stdout.write(`${line}\n`);

function parse() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      'no-build': { type: 'boolean' },
      requests: { type: 'string' },
      calls: { type: 'string' },
      sleepers: { type: 'string' },
      sessions: { type: 'string' },
      'cluster-sessions': { type: 'string' },
      'sampler-seconds': { type: 'string' },
    },
    strict: true,
  });
  const int = (name: string, v: string | undefined, dflt: number, min: number, max: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}..${max}, got "${v}"`);
    return n;
  };
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...PHASES];
  for (const p of only) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--only: unknown phase "${p}" (${PHASES.join(', ')})`);
  return {
    phases: new Set(only as Phase[]),
    quick: values.quick === true,
    build: !values['no-build'],
    requests: int('requests', values.requests, values.quick ? 500 : 2000, 50, 20_000),
    warmup: values.quick ? 100 : 300,
    calls: int('calls', values.calls, values.quick ? 10 : 30, 3, 200),
    sleepers: int('sleepers', values.sleepers, 1000, 0, 5000),
    sessions: int('sessions', values.sessions, 1000, 10, 5000),
    clusterSessions: int('cluster-sessions', values['cluster-sessions'], values.quick ? 2000 : 10_000, 100, 20_000),
    samplerSeconds: int('sampler-seconds', values['sampler-seconds'], values.quick ? 15 : 60, 5, 300),
    concurrencies: [1, 16, 64],
  };
}

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((n, v) => n + v, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

interface HostFacts {
  cpus: number;
  node: string;
  kernel: string;
  commit: string | null;
  srcDirty: boolean;
  load1Before: number;
  busyBeforePct: number;
}

/** Our own CPU ticks, children included (node reaps them, so cutime/cstime count them once they exit). */
function ownTicks(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  return (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
}

/** Share of all CPUs used by processes other than the bench and its children since `from`. */
function othersBusyPct(from: { sys: { busy: number; total: number }; own: number }): number {
  const sys = cpuTimes();
  const own = ownTicks();
  const total = Math.max(1, sys.total - from.sys.total);
  return round((Math.max(0, sys.busy - from.sys.busy - (own - from.own)) / total) * 100, 0);
}

async function hostFacts(): Promise<HostFacts> {
  const a = cpuTimes();
  await sleep(1_000);
  const b = cpuTimes();
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO, encoding: 'utf8' });
  return {
    cpus: availableParallelism(),
    node: process.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    commit: git.stdout.trim() || null,
    srcDirty: dirty.stdout.trim() !== '',
    load1Before: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
    busyBeforePct: round(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100, 0),
  };
}

async function main(): Promise<number> {
  const opts = parse();
  const started = Date.now();
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: watchdog: still running after ${WATCHDOG_MS / 60_000} min, giving up\n`);
    process.exit(1); // the cleanup registry's exit handler kills every child
  }, WATCHDOG_MS);
  watchdog.unref();

  const errors: BenchReport['errors'] = [];
  let build = 'not needed';
  // Both spawn `node dist/app/cli.js serve`.
  if (opts.phases.has('memory') || opts.phases.has('abuse')) {
    try {
      build = ensureBuilt(REPO, opts.build, log);
    } catch (error) {
      errors.push({ phase: 'build', message: (error as Error).message });
    }
  }
  const host = { ...(await hostFacts()), build };
  const mark = { sys: cpuTimes(), own: ownTicks() };
  log(`hostlens bench: ${host.cpus} CPUs, node ${process.version}, commit ${host.commit ?? '?'}${host.srcDirty ? ' (+ uncommitted src/ changes)' : ''}; ${build}`);
  log(`host busy ${host.busyBeforePct}% in the last second, load1 ${host.load1Before}`);

  const phase = async <T>(name: Phase, title: string, run: () => Promise<T>): Promise<T | undefined> => {
    if (!opts.phases.has(name)) return undefined;
    if ((name === 'memory' || name === 'abuse') && errors.some((e) => e.phase === 'build')) return undefined;
    log(`\n== ${title}`);
    const t0 = Date.now();
    try {
      const r = await run();
      log(`   (${round((Date.now() - t0) / 1000, 1)} s)`);
      return r;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ phase: name, message });
      log(`   FAILED: ${message}`);
      return undefined;
    }
  };

  const load: LoadResult | undefined = await phase('load', `1. trivial tool call: ${opts.requests} requests per cell after ${opts.warmup} warm-up, concurrency ${opts.concurrencies.join('/')}`, () =>
    runLoad({ concurrencies: opts.concurrencies, requests: opts.requests, warmup: opts.warmup, repoRoot: REPO, log }),
  );
  if (load) log(`\n${load.table}`);

  const processes: ProcessesResult | undefined = await phase('processes', `2. triage_host / top_processes server time with ${opts.sleepers} extra sleeping processes`, () =>
    runProcesses({ sleepers: opts.sleepers, calls: opts.calls, log }),
  );
  if (processes) {
    log(`\n${processes.table}`);
    log(`product factory (an McpServer per modern request): p50 ${processes.factoryBuildMs.p50} ms, p99 ${processes.factoryBuildMs.p99} ms`);
  }

  const memory: MemoryResult | undefined = await phase('memory', `3. memory: idle RSS, then ${opts.sessions} idle legacy sessions`, () =>
    runMemory({ repoRoot: REPO, sessions: opts.sessions, log }),
  );
  if (memory) {
    log(`   command: ${memory.command}`);
    log(`   opened ${memory.sessionsOpened} sessions in ${memory.openMs} ms; peak VmHWM ${memory.peakRssKiB} KiB; SIGTERM → exit ${memory.exit.code} in ${memory.exit.ms} ms`);
    log(`   method: ${memory.method}`);
  }

  const tools: ToolsResult | undefined = await phase('tools', `4. every tool (all toolsets) server time with ${opts.sleepers} extra sleeping processes`, () =>
    runTools({ sleepers: opts.sleepers, calls: opts.calls, log }),
  );
  if (tools) log(`\n${tools.table}`);

  const sampler: SamplerBenchResult | undefined = await phase('sampler', `5. the 1 Hz sampler (with history) on / for ${opts.samplerSeconds} s`, () =>
    runSamplerBench({ seconds: opts.samplerSeconds, root: '/', log }),
  );

  const abuse: AbuseResult | undefined = await phase('abuse', '6. the event loop under abuse: /healthz and the server\'s own loop delay beside an idle baseline', () =>
    runAbuse({ repoRoot: REPO, quick: opts.quick, log }),
  );
  if (abuse) log(`\n${abuse.table}`);

  const context: ContextResult | undefined = await phase('context', '7. the context footprint of tools/list per toolset, and a client compiling the output schemas', () =>
    runContext({ rounds: opts.quick ? 5 : 20, log }),
  );
  if (context) log(`\n${context.table}`);

  const cluster: ClusterBenchResult | undefined = await phase('cluster', `8. shared session store and replicas: a trivial tools/call per era, memory vs Redis store vs three replicas behind nginx, beside a bare node:http floor`, () =>
    runCluster({ repoRoot: REPO, requests: Math.min(opts.requests, 1000), warmup: opts.warmup, sessions: opts.clusterSessions, failoverRounds: opts.quick ? 1 : 3, log }),
  );
  if (cluster) {
    for (const message of cluster.errors) errors.push({ phase: 'cluster', message });
    log(`\n${cluster.table}`);
    log(`RSS per idle legacy session (memory store): ${cluster.memoryKiBPerSession ?? 'n/a'} KiB; Redis per idle session: ${cluster.redisBytesPerSession ?? 'n/a'} bytes; Redis commands per legacy call: ${cluster.redisCommandsPerCall?.total ?? 'n/a'}`);
    log(`session answering again after its replica was SIGKILLed: ${cluster.failover.map((f) => `${f.ms} ms`).join(', ') || 'n/a'}`);
  }

  stopBenchServices();
  const othersPct = othersBusyPct(mark);
  const report: BenchReport = {
    startedAt: new Date(started).toISOString(),
    durationSec: round((Date.now() - started) / 1000, 1),
    host: { ...host, othersBusyDuringPct: othersPct },
    options: { ...opts, phases: [...opts.phases] },
    ...(load ? { load: { cells: load.cells, ratios: load.ratios } } : {}),
    ...(processes ? { processes: (({ table: _t, ...rest }) => rest)(processes) } : {}),
    ...(memory ? { memory } : {}),
    ...(tools ? { tools: (({ table: _t, ...rest }) => rest)(tools) } : {}),
    ...(sampler ? { sampler } : {}),
    ...(abuse ? { abuse: (({ table: _t, ...rest }) => rest)(abuse) } : {}),
    ...(context ? { context: (({ table: _t, ...rest }) => rest)(context) } : {}),
    ...(cluster ? { cluster: (({ table: _t, ...rest }) => rest)(cluster) } : {}),
    errors,
    checks: [...checks(processes, memory), ...toolsChecks(tools), ...samplerChecks(sampler), ...abuseChecks(abuse), ...contextChecks(context), ...clusterChecks(cluster)],
  };
  writeReport(RESULTS, report);
  log(`\n${renderSummary(report, load)}`);
  clearTimeout(watchdog);
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
