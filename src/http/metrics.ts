/**
 * Prometheus metrics for GET /metrics (prom-client, a registry of our own,
 * never the global one).
 *
 * - hostlens_requests_total{era,method,tool,status}: /mcp requests by era
 *   (legacy | modern | none), JSON-RPC method, tool (tools/call only) and HTTP
 *   status.
 * - hostlens_request_duration_seconds{era,method}: until the response ended
 *   (for SSE, the stream).
 * - hostlens_tool_duration_seconds{tool}: tools/call requests, the same way.
 * - hostlens_sessions_open, hostlens_sse_streams_open: gauges.
 * - hostlens_sampler_lag_seconds: how late the background sampler is (the
 *   last tick's gap beyond its interval, or how overdue the next tick is).
 * - hostlens_redactions_total: values shown as [REDACTED] in results sent.
 * - hostlens_audit_lines_dropped_total: audit lines lost to a write error or a full queue.
 * - prom-client's default process metrics (process_resident_memory_bytes,
 *   process_open_fds, nodejs_eventloop_lag_seconds, …).
 *
 * Cardinality is bounded whatever clients send: `method` is a known MCP
 * method or 'other' (or 'unparsed' when the body was never read), `tool` a
 * tool this server knows or 'other', `status` an HTTP status code.
 */
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';

/**
 * prom-client (with its default collectors, tdigest and @opentelemetry/api) is loaded on the first
 * observed request or scrape, not at start: an HTTP server nobody has called yet does not hold it
 * (idle VmRSS of `serve --port 0`: 80,584–83,092 KiB loaded at start, 79,424–80,124 KiB lazily; 4 runs each).
 * Synchronous (prom-client is CommonJS) so observe() stays synchronous.
 */
const loadPromClient = (): typeof import('prom-client') => createRequire(import.meta.url)('prom-client') as typeof import('prom-client');

export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'server/discover',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'subscriptions/listen',
  'tasks/get',
  'tasks/list',
  'tasks/result',
  'tasks/cancel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
]);

interface MetricsOptions {
  /** Tool names used as label values; any other name is counted as 'other'. */
  toolNames?: Iterable<string>;
  /** Seconds the sampler is late (see samplerLagSeconds); absent = the gauge stays 0. */
  samplerLag?: () => number | null;
  /** Collect prom-client's default process metrics (default true). */
  processMetrics?: boolean;
  /** Audit lines dropped so far (the counter follows it). */
  auditDropped?: () => number;
}

interface RequestObservation {
  era: 'legacy' | 'modern' | null;
  /** JSON-RPC method; null when the body was not read (refused before parsing, GET, DELETE). */
  method: string | null;
  httpMethod: string;
  tool?: string | undefined;
  status: number;
  durationSec: number;
  redactions: number;
}

export interface Metrics {
  readonly registry: Registry;
  observe(o: RequestObservation): void;
  streamOpened(): void;
  streamClosed(): void;
  /** Where hostlens_sessions_open reads the open legacy sessions from. */
  sessionsFrom(count: () => Promise<number>): void;
  /** The exposition (text format 0.0.4) as an HTTP response. */
  response(): Promise<Response>;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function methodLabel(method: string | null, httpMethod: string): string {
  if (method === null) return httpMethod === 'GET' || httpMethod === 'DELETE' ? httpMethod : 'unparsed';
  return KNOWN_METHODS.has(method) ? method : 'other';
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const tools = new Set(options.toolNames ?? []);
  let sessionsOpen: () => Promise<number> = async () => 0;
  let streams = 0;
  let built: ReturnType<typeof build> | null = null;
  const metrics = (): ReturnType<typeof build> => (built ??= build());

  function build() {
    const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = loadPromClient();
    const registry = new Registry();
    const requests = new Counter({
      name: 'hostlens_requests_total',
      help: 'MCP requests on /mcp by era, JSON-RPC method, tool (tools/call) and HTTP status',
      labelNames: ['era', 'method', 'tool', 'status'] as const,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'hostlens_request_duration_seconds',
      help: 'MCP request duration until the response (or its stream) ended',
      labelNames: ['era', 'method'] as const,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    const toolDuration = new Histogram({
      name: 'hostlens_tool_duration_seconds',
      help: 'tools/call duration by tool, until the response ended',
      labelNames: ['tool'] as const,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    new Gauge({
      name: 'hostlens_sessions_open',
      help: 'Open legacy (2025-era) sessions (with a shared store: in the whole cluster)',
      registers: [registry],
      async collect() {
        // A store that cannot answer leaves the last value rather than failing the scrape.
        const n = await sessionsOpen().catch(() => undefined);
        if (n !== undefined) this.set(n);
      },
    });
    new Gauge({
      name: 'hostlens_sse_streams_open',
      help: 'Open SSE response streams (legacy GET streams, streamed calls, subscriptions/listen)',
      registers: [registry],
      collect() {
        this.set(streams);
      },
    });
    const samplerLag = options.samplerLag;
    new Gauge({
      name: 'hostlens_sampler_lag_seconds',
      help: 'How late the background sampler is: the last tick gap beyond the interval, or how overdue the next tick is',
      registers: [registry],
      collect() {
        this.set(samplerLag?.() ?? 0);
      },
    });
    const redactions = new Counter({
      name: 'hostlens_redactions_total',
      help: 'Values shown as [REDACTED] in results sent to clients',
      registers: [registry],
    });
    const auditDropped = options.auditDropped;
    let droppedSeen = 0;
    new Counter({
      name: 'hostlens_audit_lines_dropped_total',
      help: 'Audit lines lost to a write error or a full write queue',
      registers: [registry],
      collect() {
        const now = auditDropped?.() ?? 0;
        if (now > droppedSeen) this.inc(now - droppedSeen);
        droppedSeen = now;
      },
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
    return { registry, requests, duration, toolDuration, redactions };
  }

  return {
    get registry() {
      return metrics().registry;
    },
    observe(o) {
      const { requests, duration, toolDuration, redactions } = metrics();
      const era = o.era ?? 'none';
      const method = methodLabel(o.method, o.httpMethod);
      const isCall = o.method === 'tools/call' && o.tool !== undefined;
      const tool = isCall ? (tools.has(o.tool!) ? o.tool! : 'other') : '';
      requests.inc({ era, method, tool, status: String(o.status) });
      duration.observe({ era, method }, o.durationSec);
      if (isCall) toolDuration.observe({ tool }, o.durationSec);
      if (o.redactions > 0) redactions.inc(o.redactions);
    },
    streamOpened: () => void (streams += 1),
    streamClosed: () => void (streams = Math.max(0, streams - 1)),
    sessionsFrom(count) {
      sessionsOpen = count;
    },
    async response() {
      const { registry } = metrics();
      const text = await registry.metrics();
      return new Response(text, { status: 200, headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' } });
    },
  };
}

/** What samplerLagSeconds needs of the sampler (src/collectors/sampler.ts). */
export interface LagSource {
  readonly running: boolean;
  latest(): { atMs: number } | null;
  previous(): { atMs: number } | null;
}

/**
 * How late the sampler is, in seconds: the larger of the last tick's gap
 * beyond the interval and how overdue the next tick is now (a stalled event
 * loop or a stopped timer shows up here). 0 before the first tick or when
 * the sampler is not running. `nowMs` is performance.now(), like the ticks.
 */
export function samplerLagSeconds(source: LagSource, intervalMs: number, nowMs: number = performance.now()): number {
  const last = source.latest();
  if (!source.running || last === null) return 0;
  const prev = source.previous();
  const gapLate = prev ? last.atMs - prev.atMs - intervalMs : 0;
  const overdue = nowMs - last.atMs - intervalMs;
  return Math.max(0, Math.round(Math.max(gapLate, overdue)) / 1000);
}
