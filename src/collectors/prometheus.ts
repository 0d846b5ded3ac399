/**
 * A bounded client for the Prometheus HTTP query API (`/api/v1/query`,
 * `/api/v1/query_range`), made for answering an agent: every call has a
 * deadline both at Prometheus (the `timeout` parameter) and here (an abort),
 * the body is read up to a byte cap, the answer is cut to a series cap and a
 * points cap with `truncated` set, and failures are HostlensErrors an agent
 * can act on. Redirects are refused rather than followed, so a request (and
 * its bearer token) never reaches another place than the configured URL.
 */
import { HostlensError } from '../contracts/errors.js';

interface PrometheusClientOptions {
  /** Base URL of Prometheus, e.g. http://prometheus:9090 or https://host/prometheus (a path prefix is kept). */
  url: string;
  /** Sent as `Authorization: Bearer …`, only to the origin of `url`. */
  token?: string;
  /** Deadline of one call, at Prometheus and here. */
  timeoutMs: number;
  /** The largest response body read (decoded bytes); a larger one is refused. */
  maxBytes: number;
  /** Series kept from one answer (default 500); the rest are dropped and `truncated` set. */
  maxSeries?: number;
  /** Points kept from one answer over all series (default 20,000); the rest are dropped and `truncated` set. */
  maxPoints?: number;
}

/** A sample: unix seconds and the value (NaN and ±Inf as Prometheus wrote them). */
type Sample = [timeSec: number, value: number];

interface InstantSeries {
  metric: Record<string, string>;
  value: Sample;
}

interface RangeSeries {
  metric: Record<string, string>;
  values: Sample[];
}

interface QueryResult<S> {
  series: S[];
  /** Whether series or points were dropped to fit maxSeries / maxPoints. */
  truncated: boolean;
  /** Prometheus's own warnings (e.g. a query over too many series). */
  warnings: string[];
}

export interface PrometheusClient {
  /** An instant query; a scalar answer is one series with no labels. */
  instant(query: string, options?: { time?: Date | number; signal?: AbortSignal }): Promise<QueryResult<InstantSeries>>;
  /** A range query; `start`/`end` as Date or unix seconds, `step` in seconds (see `rangeStep`). */
  range(query: string, options: { start: Date | number; end: Date | number; step: number; signal?: AbortSignal }): Promise<QueryResult<RangeSeries>>;
}

/** Prometheus answers at most this many points per series of a range query. */
const PROMETHEUS_MAX_POINTS = 11_000;

/**
 * The step (whole seconds, at least `minStepSec`) for a range query over
 * [start, end] so that no series has more than `maxPointsPerSeries` points.
 * Prometheus evaluates at start, start+step, …, ≤ end: floor(span/step)+1
 * points, so step ≥ span/(budget−1) keeps it within budget.
 */
export function rangeStep(startSec: number, endSec: number, maxPointsPerSeries: number, minStepSec = 1): number {
  if (!(endSec >= startSec)) throw new HostlensError('invalid_argument', 'the range ends before it starts');
  const budget = Math.min(Math.floor(maxPointsPerSeries), PROMETHEUS_MAX_POINTS);
  if (!(budget >= 1)) throw new HostlensError('invalid_argument', 'a range needs a budget of at least one point per series');
  const span = endSec - startSec;
  // With one point allowed, a step longer than the span gives exactly one evaluation.
  const needed = budget === 1 ? span + 1 : span / (budget - 1);
  return Math.max(Math.ceil(minStepSec), Math.ceil(needed), 1);
}

function toSec(t: Date | number): number {
  const sec = t instanceof Date ? t.getTime() / 1000 : t;
  if (!Number.isFinite(sec)) throw new HostlensError('invalid_argument', 'a query time is not a valid time');
  return sec;
}

function sample(raw: unknown): Sample {
  if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'number' || typeof raw[1] !== 'string') {
    throw new HostlensError('unavailable', 'Prometheus answered a sample that is not [time, "value"]');
  }
  return [raw[0], Number(raw[1])];
}

function labels(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new HostlensError('unavailable', 'Prometheus answered a series without a label set');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The shape a Prometheus API answer has, successful or not. */
interface ApiBody {
  status?: unknown;
  data?: { resultType?: unknown; result?: unknown };
  errorType?: unknown;
  error?: unknown;
  warnings?: unknown;
}

/** Maps a Prometheus `status: error` to what an agent can act on: fix the query, wait, or retry later. */
function apiError(body: ApiBody, httpStatus: number): HostlensError {
  const type = typeof body.errorType === 'string' ? body.errorType : 'unknown';
  const detail = typeof body.error === 'string' ? body.error.slice(0, 500) : `HTTP ${httpStatus}`;
  if (type === 'bad_data' || type === 'execution') return new HostlensError('invalid_argument', `Prometheus refused the query (${type}): ${detail}`);
  if (type === 'timeout' || type === 'canceled') return new HostlensError('timeout', `Prometheus did not finish the query in time (${type}): ${detail}`);
  return new HostlensError('unavailable', `Prometheus failed (${type}): ${detail}`);
}

/** Reads at most `maxBytes` of the body; one byte more cancels the stream and refuses the answer. */
async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  // Content-Length counts encoded bytes; it can refuse early only when nothing is decoded.
  if (!res.headers.get('content-encoding') && Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new HostlensError('too_large', `Prometheus's answer is ${declared} bytes, over the ${maxBytes}-byte limit: narrow the query (fewer series, a shorter range, a larger step)`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new HostlensError('too_large', `Prometheus's answer exceeds the ${maxBytes}-byte limit: narrow the query (fewer series, a shorter range, a larger step)`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new HostlensError('invalid_argument', 'the Prometheus URL is not a URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new HostlensError('invalid_argument', 'the Prometheus URL must be http or https');
  // Credentials in the URL would be sent on every request and logged with it; the token option is the way.
  if (base.username || base.password) throw new HostlensError('invalid_argument', 'the Prometheus URL must not hold credentials; pass a token');
  const prefix = base.pathname.replace(/\/+$/, '');
  const maxSeries = options.maxSeries ?? 500;
  const maxPoints = options.maxPoints ?? 20_000;
  // Prometheus stops its own evaluation a little before our deadline, so its clearer timeout answer arrives first.
  const serverTimeoutSec = Math.max(0.001, (options.timeoutMs * 0.9) / 1000);

  async function call(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<{ resultType: string; result: unknown[]; warnings: string[] }> {
    const target = new URL(`${prefix}${path}`, base.origin);
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    // The request is always built on base's origin; checked anyway, so no change above can leak the token elsewhere.
    if (options.token !== undefined && target.origin === base.origin) headers.authorization = `Bearer ${options.token}`;
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const abort = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const body = new URLSearchParams({ ...params, timeout: String(serverTimeoutSec) });
    let res: Response;
    let text: string;
    try {
      // POST: a long query does not hit URL length limits (Prometheus takes both).
      res = await fetch(target, { method: 'POST', headers, body, redirect: 'manual', signal: abort });
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        throw new HostlensError('unavailable', `Prometheus at ${base.origin} answered a redirect (HTTP ${res.status}); redirects are not followed: configure the URL it redirects to`);
      }
      text = await readCapped(res, options.maxBytes);
    } catch (error) {
      if (error instanceof HostlensError) throw error;
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) throw new HostlensError('timeout', `Prometheus did not answer within ${options.timeoutMs} ms`, { cause: error });
      throw new HostlensError('unavailable', `Prometheus at ${base.origin} could not be reached`, { cause: error });
    }
    let parsed: ApiBody;
    try {
      parsed = JSON.parse(text) as ApiBody;
    } catch (error) {
      throw new HostlensError('unavailable', `Prometheus at ${base.origin} answered HTTP ${res.status} without a JSON API body`, { cause: error });
    }
    if (parsed === null || typeof parsed !== 'object') throw new HostlensError('unavailable', `Prometheus at ${base.origin} answered HTTP ${res.status} without a JSON API body`);
    if (parsed.status !== 'success') throw apiError(parsed, res.status);
    const resultType = parsed.data?.resultType;
    const result = parsed.data?.result;
    if (typeof resultType !== 'string' || result === undefined) throw new HostlensError('unavailable', 'Prometheus answered success without a result');
    const warnings = Array.isArray(parsed.warnings) ? parsed.warnings.filter((w): w is string => typeof w === 'string').slice(0, 20) : [];
    // A scalar or string answer is one sample, not a list of series.
    return { resultType, result: Array.isArray(result) && resultType !== 'scalar' && resultType !== 'string' ? result : [{ value: result }], warnings };
  }

  return {
    async instant(query, opts = {}) {
      const params: Record<string, string> = { query };
      if (opts.time !== undefined) params.time = String(toSec(opts.time));
      const { result, warnings } = await call('/api/v1/query', params, opts.signal);
      const series: InstantSeries[] = [];
      const keep = Math.min(maxSeries, maxPoints);
      for (const raw of result.slice(0, keep)) {
        const s = raw as { metric?: unknown; value?: unknown };
        series.push({ metric: labels(s.metric), value: sample(s.value) });
      }
      return { series, truncated: result.length > keep, warnings };
    },

    async range(query, opts) {
      const start = toSec(opts.start);
      const end = toSec(opts.end);
      if (end < start) throw new HostlensError('invalid_argument', 'the range ends before it starts');
      if (!(opts.step > 0) || !Number.isFinite(opts.step)) throw new HostlensError('invalid_argument', 'the step must be a positive number of seconds');
      const { resultType, result, warnings } = await call('/api/v1/query_range', { query, start: String(start), end: String(end), step: String(opts.step) }, opts.signal);
      if (resultType !== 'matrix') throw new HostlensError('unavailable', `Prometheus answered a range query with a ${resultType}`);
      const series: RangeSeries[] = [];
      let points = 0;
      let truncated = result.length > maxSeries;
      for (const raw of result.slice(0, maxSeries)) {
        if (points >= maxPoints) {
          truncated = true;
          break;
        }
        const s = raw as { metric?: unknown; values?: unknown };
        const values = Array.isArray(s.values) ? s.values : [];
        const room = maxPoints - points;
        if (values.length > room) truncated = true;
        const kept = values.slice(0, room).map(sample);
        points += kept.length;
        series.push({ metric: labels(s.metric), values: kept });
      }
      return { series, truncated, warnings };
    },
  };
}
