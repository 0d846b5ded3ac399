/**
 * The soak driver: start `hostlens serve`, run the clients for the duration with a report line
 * every few seconds, stop the load (abandoning every open legacy session), wait the session TTL
 * plus the reaper interval and count the sessions left, then SIGTERM the server while slow calls
 * are in flight. Returns the whole report; bench/soak.ts prints it and sets the exit code.
 */
import { setMaxListeners } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isAbsolute, join } from 'node:path';
import { ensureBuilt } from '../build.js';
import { killPid } from '../cleanup.js';
import { processCpuMs } from '../stats.js';
import { connectClient, runClient, sleepUnless, upTo } from './client.js';
import type { Abandoned, ClientRun } from './client.js';
import { drainPhase } from './drain.js';
import type { DrainResult } from './drain.js';
import type { SoakOptions } from './options.js';
import { isSessionNotFound, sessionRequest } from './raw.js';
import { latencyOf, Recorder } from './recorder.js';
import { flatness, hardChecks, sampleLine } from './report.js';
import type { ProcSample, Sample, SessionCheck, SoakReport } from './report.js';
import { planServer, sampleProcess, scrapeMetrics, startSoakServer } from './server.js';
import type { SoakServer } from './server.js';

/** The reaper period of src/http/sessions.ts for a TTL (max(250 ms, min(TTL / 2, 60 s))). */
export const reaperIntervalMs = (ttlSec: number): number => Math.max(250, Math.min((ttlSec * 1000) / 2, 60_000));

const PROC_SAMPLE_MS = 2_000;
const SHUTDOWN_GRACE_SEC = 10; // the server's default shutdownGraceSec
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function sessionsOpen(server: SoakServer, adminToken: string): Promise<{ sessions: number | null; streams: number | null }> {
  const m = await scrapeMetrics(server.url, adminToken);
  return { sessions: m?.hostlens_sessions_open ?? null, streams: m?.hostlens_sse_streams_open ?? null };
}

/** Probes abandoned session ids (each with its owner's token), 16 at a time; returns how many did not answer 404 -32001. */
async function probeSessions(server: SoakServer, ids: readonly Abandoned[]): Promise<number> {
  let alive = 0;
  for (let i = 0; i < ids.length; i += 16) {
    const batch = ids.slice(i, i + 16);
    const answers = await Promise.all(batch.map((a) => sessionRequest(server.port, a.token, a.sessionId).then(isSessionNotFound, () => false)));
    alive += answers.filter((gone) => !gone).length;
  }
  return alive;
}

export async function runSoak(options: SoakOptions, repo: string, log: (line: string) => void): Promise<SoakReport> {
  const started = Date.now();
  const setup = planServer(options.clients);
  if (options.server === 'dist') log(ensureBuilt(repo, options.build, log));
  const server = await startSoakServer({ repo, mode: options.server, gc: options.gc, ttlSec: options.sessionTtlSec, setup });
  log(`hostlens soak: ${options.clients} clients for ${options.durationSec} s (seed ${options.seed}); server pid ${server.pid} ${server.url}`);
  log(`  ${server.command}; auth: ${setup.auth}; session TTL ${options.sessionTtlSec} s`);
  let died: string | null = null;
  let sigtermSent = false;
  server.child.child.once('exit', (code, signal) => {
    if (!sigtermSent) died = `exited ${code ?? signal} during the load`;
  });
  const rec = new Recorder();
  const samples: Sample[] = [];
  const procSamples: ProcSample[] = [];
  let serverCpuPct: number | null = null;
  let clientLagMaxMs = 0;
  let idleAfterTtl: SoakReport['idleAfterTtl'] = null;
  const abandoned: Abandoned[] = [];
  let drain: DrainResult | null = null;
  let sessions: SessionCheck = { ttlSec: options.sessionTtlSec, waitedSec: 0, openAtStop: null, abandonedAliveAtStop: 0, abandonedIds: 0, probed: 0, probesAlive: 0, metricsAfterTtl: null, left: -1 };
  const runs: ClientRun[] = [];
  let serverErrorLines: Array<Record<string, unknown>> = [];
  let audit: ReturnType<SoakServer['audit']> = [];
  const metrics = (await scrapeMetrics(server.url, setup.adminToken)) !== null;
  try {
    // Fill the bounded evidence store (newest 20 snapshots) before the load, so its fill-up is not read as
    // growth after the warm-up (at the mix's capture rate it would take minutes); diff_snapshots needs one too.
    const first = await connectClient(server.url, setup.adminToken, 'modern', 'soak-setup');
    for (let i = 0; i < Math.max(1, options.prefillSnapshots); i += 1) await first.client.callTool({ name: 'capture_snapshot', arguments: {} });
    await first.client.close();
    rec.cut();

    const stop = new AbortController();
    setMaxListeners(options.clients + 16, stop.signal); // every client's think time waits on it
    const t0 = performance.now();
    const staggerMs = Math.min(5_000, (options.durationSec * 1000) / 4);
    const clients = Array.from({ length: options.clients }, async (_, index) => {
      await delay((staggerMs * index) / options.clients);
      const plan = {
        index,
        era: index % 2 === 0 ? ('legacy' as const) : ('modern' as const),
        url: server.url,
        port: server.port,
        token: setup.clientTokens[index] ?? setup.adminToken,
        serverPid: server.pid,
        windowSec: options.windowSec,
        thinkMs: options.thinkMs,
        seed: options.seed + index * 7919,
      };
      runs.push(await runClient(plan, rec, stop.signal, abandoned));
    });
    // RSS and open fds every 2 s (the flatness figures); the report line shows the latest.
    const cpuAtStart = await processCpuMs(server.pid);
    const procLoop = (async () => {
      while (!stop.signal.aborted && died === null) {
        const p = await sampleProcess(server.pid);
        procSamples.push({ tSec: Math.round((performance.now() - t0) / 100) / 10, rssKiB: p.rssKiB, fds: p.fds });
        await sleepUnless(PROC_SAMPLE_MS, stop.signal);
      }
    })();
    // The driver's own event-loop lag: 50 SDK clients in one process on a busy machine delay every timer and answer.
    const lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
    const tick = async (): Promise<void> => {
      const w = rec.cut();
      const lagMaxMs = Math.round(lag.max / 1e6);
      clientLagMaxMs = Math.max(clientLagMaxMs, lagMaxMs);
      lag.reset();
      const proc = await sampleProcess(server.pid);
      const open = metrics ? await sessionsOpen(server, setup.adminToken) : { sessions: null, streams: null };
      const lat = latencyOf(w.latenciesMs);
      const gc = await server.gcMemory();
      const sample: Sample = {
        tSec: Math.round((performance.now() - t0) / 100) / 10,
        ok: w.ok,
        expected: w.expected,
        dropped: w.dropped,
        unexpected: w.unexpected,
        p50Ms: lat.p50,
        p99Ms: lat.p99,
        rssKiB: proc.rssKiB,
        fds: proc.fds,
        sessionsOpen: open.sessions,
        sseStreamsOpen: open.streams,
        sessionsOpened: w.sessionsOpened,
        sessionsDeleted: w.sessionsDeleted,
        sessionsAbandoned: w.sessionsAbandoned,
        clientLagMaxMs: lagMaxMs,
        ...(gc ? { afterGc: { rssKiB: Math.round(gc.rss / 1024), heapKiB: Math.round((gc.heapUsed + gc.external) / 1024) } } : {}),
      };
      samples.push(sample);
      log(sampleLine(sample));
    };
    const endAt = t0 + options.durationSec * 1000;
    for (let next = t0 + options.reportEverySec * 1000; died === null; next += options.reportEverySec * 1000) {
      await delay(Math.max(0, Math.min(next, endAt) - performance.now()));
      await tick();
      if (performance.now() >= endAt - 50) break;
    }
    const cpuAtEnd = await processCpuMs(server.pid);
    const loadSec = (performance.now() - t0) / 1000;
    if (cpuAtStart !== null && cpuAtEnd !== null) serverCpuPct = Math.round(((cpuAtEnd - cpuAtStart) / 10 / loadSec) * 10) / 10;
    stop.abort();
    lag.disable();
    await upTo(30_000, Promise.all([...clients, procLoop]));
    log(`load stopped after ${Math.round((performance.now() - t0) / 100) / 10} s; every open legacy session abandoned (${abandoned.length} abandoned in all)`);
    if (died !== null) throw new Error(`hostlens ${died}`);

    // Sessions: still there right after the load (proof the abandonment left some behind; the probe
    // refreshes them, and the wait below is a full TTL after it) …
    const atStop = metrics ? (await sessionsOpen(server, setup.adminToken)).sessions : null;
    const probe = abandoned.slice(-1_000);
    const aliveAtStop = await probeSessions(server, probe);
    const waitMs = options.sessionTtlSec * 1000 + reaperIntervalMs(options.sessionTtlSec) + 1_500;
    log(`sessions open at stop: ${atStop ?? 'n/a (no /metrics)'}; ${aliveAtStop}/${probe.length} abandoned ids still answer; waiting ${waitMs / 1000} s (TTL + reaper interval + 1.5 s) …`);
    await delay(waitMs);
    // … and none after the TTL: every abandoned id must answer 404 -32001 (bounded: the newest 1,000).
    const probesAlive = await probeSessions(server, probe);
    const metricsAfterTtl = metrics ? (await sessionsOpen(server, setup.adminToken)).sessions : null;
    sessions = {
      ttlSec: options.sessionTtlSec,
      waitedSec: waitMs / 1000,
      openAtStop: atStop,
      abandonedAliveAtStop: aliveAtStop,
      abandonedIds: abandoned.length,
      probed: probe.length,
      probesAlive,
      metricsAfterTtl,
      left: Math.max(probesAlive, metricsAfterTtl ?? 0),
    };
    const idle = await sampleProcess(server.pid);
    const idleGc = await server.gcMemory();
    idleAfterTtl = { rssKiB: idle.rssKiB, fds: idle.fds, ...(idleGc ? { afterGc: { rssKiB: Math.round(idleGc.rss / 1024), heapKiB: Math.round((idleGc.heapUsed + idleGc.external) / 1024) } } : {}) };
    log(
      `sessions left after the TTL: ${sessions.left} (probed ${probe.length}; /metrics ${metricsAfterTtl ?? 'n/a'}); idle rss ${idle.rssKiB} KiB, fds ${idle.fds}` +
        (idleGc ? `; after GC rss ${Math.round(idleGc.rss / 1024)} KiB, heap ${Math.round((idleGc.heapUsed + idleGc.external) / 1024)} KiB` : ''),
    );

    log(`SIGTERM with ${options.drainCalls} windowed calls (windowSec ${options.drainWindowSec}) in flight …`);
    serverErrorLines = server.serverErrors.slice(0, 50);
    sigtermSent = true;
    drain = await drainPhase(server, setup.clientTokens, { calls: options.drainCalls, windowSec: options.drainWindowSec, graceSec: SHUTDOWN_GRACE_SEC });
    log(`  ${drain.completed}/${drain.calls} completed, exit ${drain.exit.code ?? drain.exit.signal} after ${drain.exit.ms} ms`);
  } catch (error) {
    rec.fail('soak driver', error);
  } finally {
    audit = server.audit();
    sigtermSent = true; // whatever ends the server from here on is ours
    killPid(server.pid, 'SIGKILL');
    server.cleanup();
  }

  const body: Omit<SoakReport, 'checks' | 'pass'> = {
    startedAt: new Date(started).toISOString(),
    durationSec: Math.round((Date.now() - started) / 100) / 10,
    options: { ...options, out: isAbsolute(options.out) ? options.out : join(repo, options.out) },
    server: { command: server.command, pid: server.pid, auth: setup.auth, config: setup.config, metrics, audit },
    totals: {
      ...rec.total,
      expectedByKind: rec.expectedByKind,
      transportErrors: runs.reduce((n, r) => n + r.transportErrors, 0),
      transportErrorMessages: runs.flatMap((r) => r.transportErrorMessages).slice(0, 5),
      keepAliveRetries: rec.resets,
      clientLagMaxMs,
    },
    latencyMs: rec.latency(),
    instantLatencyMs: rec.latency('instant'),
    okByOp: Object.fromEntries([...rec.okByOp].sort((a, b) => b[1] - a[1])),
    unexpected: rec.unexpected,
    serverErrorLines: drain ? serverErrorLines : server.serverErrors.slice(0, 50),
    samples,
    warmupSec: options.warmupSec,
    procSamples,
    idleAfterTtl,
    serverCpuPctOfOneCore: serverCpuPct,
    flat: [
      flatness(procSamples, 'rssKiB', options.warmupSec),
      flatness(procSamples, 'fds', options.warmupSec),
      ...(options.gc ? [flatness(samples.map((x) => ({ tSec: x.tSec, heapAfterGcKiB: x.afterGc?.heapKiB ?? null })), 'heapAfterGcKiB', options.warmupSec)] : []),
    ],
    sessions,
    drain,
    serverDiedDuringLoad: died,
  };
  delete (body.totals as { latenciesMs?: unknown }).latenciesMs;
  const checks = hardChecks(body);
  return { ...body, checks, pass: checks.every((c) => c.pass) };
}
