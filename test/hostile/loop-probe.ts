/**
 * Event-loop probe: how long a server's event loop is held while something else (an abuse) runs.
 *
 * While running, a worker thread polls `GET /healthz` on 127.0.0.1:<port> every `intervalMs` (20 ms)
 * over its own keep-alive connection. /healthz does no work, so its latency is the time the server's
 * event loop took to get to it: a request that blocks the loop for 1 s shows as a ≈ 1 s sample. The
 * poller runs in a worker so a busy test thread (building a 4 MB body, parsing a big answer) never
 * delays it and is never counted against the server.
 *
 *   const probe = startLoopProbe(port);
 *   await abuse();
 *   const stats = await probe.stop();
 *   t.diagnostic(formatLoopStats('300,000 keys', stats));
 *
 * or `const { result, stats } = await probeDuring(port, abuse)`. Figures are for reporting
 * (t.diagnostic, bench), never for assertions: the tests assert correctness only.
 */
import { Worker } from 'node:worker_threads';

export interface LoopStats {
  /** Completed /healthz answers. */
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Polls that failed (error, non-200, or no answer within 30 s). */
  failures: number;
  /**
   * With `serverLag`: the server's own event-loop delay over the same time (prom-client's
   * nodejs_eventloop_lag_{max,p99}_seconds from GET /metrics, a histogram reset at each scrape), in ms.
   * Unlike the /healthz figures it leaves out time the server was waiting for a CPU (on a busy machine,
   * or while its own children such as journalctl run).
   */
  serverLagMaxMs?: number;
  serverLagP99Ms?: number;
}

export interface LoopProbe {
  /** Stops polling after the in-flight poll and returns the figures. */
  stop(): Promise<LoopStats>;
}

// Plain JS for the worker (no tsx loader in worker threads): sequential polls, each at most every intervalMs.
const POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const { port, host, intervalMs } = workerData;
const latencies = [];
let failures = 0;
let running = true;
parentPort.on('message', () => { running = false; });
function poll() {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request({ host, port, path: '/healthz', agent, headers: { host: host + ':' + port }, timeout: 30000 }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) latencies.push(performance.now() - started);
        else failures += 1;
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => { failures += 1; resolve(); });
    req.end();
  });
}
(async () => {
  while (running) {
    const started = performance.now();
    await poll();
    const wait = intervalMs - (performance.now() - started);
    if (wait > 0 && running) await new Promise((r) => setTimeout(r, wait));
  }
  agent.destroy();
  parentPort.postMessage({ latencies, failures });
})();
`;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summarise(latencies: readonly number[], failures = 0): LoopStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const r = (n: number): number => Math.round(n * 10) / 10;
  return { samples: sorted.length, p50Ms: r(percentile(sorted, 50)), p99Ms: r(percentile(sorted, 99)), maxMs: r(sorted.at(-1) ?? 0), failures };
}

async function scrapeLag(port: number, host: string, headers: Record<string, string> = {}): Promise<{ max: number; p99: number } | null> {
  try {
    const res = await fetch(`http://${host}:${port}/metrics`, { headers, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    const read = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
    return res.status === 200 ? { max: read('nodejs_eventloop_lag_max_seconds'), p99: read('nodejs_eventloop_lag_p99_seconds') } : null;
  } catch {
    return null;
  }
}

export interface LoopProbeOptions {
  intervalMs?: number;
  host?: string;
  /** Also read the server's own event-loop delay from GET /metrics (metrics on, no auth): scraped at start (which resets it) and at stop. */
  serverLag?: boolean;
  /** Headers for that scrape, e.g. an admin bearer token when auth is on (/metrics needs hostlens:admin then). */
  metricsHeaders?: Record<string, string>;
}

export function startLoopProbe(port: number, options: LoopProbeOptions = {}): LoopProbe {
  const host = options.host ?? '127.0.0.1';
  const reset = options.serverLag ? scrapeLag(port, host, options.metricsHeaders) : Promise.resolve(null);
  const worker = new Worker(POLLER, { eval: true, workerData: { port, host, intervalMs: options.intervalMs ?? 20 } });
  const done = new Promise<LoopStats>((resolve, reject) => {
    worker.once('message', (m: { latencies: number[]; failures: number }) => resolve(summarise(m.latencies, m.failures)));
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const stats = await done;
      await worker.terminate();
      await reset;
      const lag = options.serverLag ? await scrapeLag(port, host, options.metricsHeaders) : null;
      const r = (n: number): number => Math.round(n * 10) / 10;
      return lag ? { ...stats, serverLagMaxMs: r(lag.max), serverLagP99Ms: r(lag.p99) } : stats;
    },
  };
}

/** Runs `abuse` with the probe on; the probe is stopped whether it resolves or throws. */
export async function probeDuring<T>(port: number, abuse: () => Promise<T>, options: LoopProbeOptions = {}): Promise<{ result: T; stats: LoopStats }> {
  const probe = startLoopProbe(port, options);
  // A first sample before the abuse starts, so even a short abuse is measured against a warm connection.
  await new Promise((r) => setTimeout(r, 60));
  try {
    const result = await abuse();
    return { result, stats: await probe.stop() };
  } catch (error) {
    await probe.stop().catch(() => undefined);
    throw error;
  }
}

export function formatLoopStats(label: string, s: LoopStats): string {
  const server = s.serverLagMaxMs === undefined ? '' : `; server event-loop delay p99 ${s.serverLagP99Ms} ms, max ${s.serverLagMaxMs} ms`;
  return `${label}: /healthz p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms (${s.samples} samples${s.failures ? `, ${s.failures} failed` : ''})${server}`;
}
