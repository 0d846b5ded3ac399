/**
 * The HTTP app's hooks for the audit log and the metrics: one
 * observer per /mcp request, fed the response bytes as they are written and
 * finished when the response (or its stream) ends; and GET /metrics.
 */
import { authorize } from './auth/authenticate.js';
import type { Authenticator } from './auth/authenticate.js';
import { createAuditLog, defaultAuditPath } from './audit.js';
import type { AuditLog } from './audit.js';
import { auditEntryOf } from './audit-entry.js';
import { HostlensError } from '../contracts/errors.js';
import { httpErrorResponse } from '../server/error-mapping.js';
import { sessionRef } from './mcp-endpoint.js';
import type { RequestFacts } from './mcp-endpoint.js';
import { createMetrics, samplerLagSeconds } from './metrics.js';
import type { LagSource, Metrics } from './metrics.js';
import type { Logger } from '../util/log.js';
import { DEFAULT_SAMPLER_INTERVAL_MS } from '../collectors/sampler.js';
import { createResponseMeter } from './response-meter.js';
import type { ResponseMeter } from './response-meter.js';

export interface Telemetry {
  audit?: AuditLog | null;
  metrics?: Metrics | null;
}

/** Principal of a request that never authenticated (refused by a guard or with 401). */
const UNAUTHENTICATED = 'unauthenticated';

interface RequestObserver {
  /** The chunk callback for onResponseDone (counts bytes, learns the outcome). */
  meter(response: Response): (chunk: Uint8Array) => void;
  /** Call once, when the response ended. */
  finish(status: number): void;
}

/** An observer for a /mcp request, or null when there is nothing to observe. */
export function observeRequest(telemetry: Telemetry | undefined, request: Request, facts: RequestFacts): RequestObserver | null {
  const audit = telemetry?.audit ?? null;
  const metrics = telemetry?.metrics ?? null;
  if (!audit && !metrics) return null;
  if (new URL(request.url).pathname !== '/mcp') return null;
  const startedAtMs = Date.now();
  const started = performance.now();
  let meter: ResponseMeter | null = null;
  let stream = false;
  let finished = false;
  return {
    meter(response) {
      // initialize: the session is minted in the answer; its digest ties the session's later lines to this one.
      const minted = response.headers.get('mcp-session-id');
      if (minted !== null && facts.sessionRef === undefined) facts.sessionRef = sessionRef(minted);
      const m = createResponseMeter(response.headers.get('content-type'));
      meter = m;
      if (m.sse && response.body !== null && metrics) {
        stream = true;
        metrics.streamOpened();
      }
      return (chunk) => m.chunk(chunk);
    },
    finish(status) {
      if (finished) return;
      finished = true;
      const durationMs = performance.now() - started;
      const seen = meter?.result() ?? { bytes: 0, rpcErrorCode: null, toolError: false, redactions: 0, sse: false };
      if (stream) metrics?.streamClosed();
      const method = facts.rpcMethod ?? null;
      metrics?.observe({
        era: facts.era ?? null,
        method,
        httpMethod: request.method,
        tool: facts.tool,
        status,
        durationSec: durationMs / 1000,
        redactions: seen.redactions,
      });
      audit?.write(
        auditEntryOf({
          startedAtMs,
          principal: facts.principal ?? UNAUTHENTICATED,
          era: facts.era ?? null,
          httpMethod: request.method,
          method,
          ...(facts.tool !== undefined ? { tool: facts.tool } : {}),
          ...(facts.resource !== undefined ? { resource: facts.resource } : {}),
          ...(facts.prompt !== undefined ? { prompt: facts.prompt } : {}),
          ...(facts.args !== undefined ? { args: facts.args } : {}),
          durationMs,
          httpStatus: status,
          rpcErrorCode: seen.rpcErrorCode,
          toolError: seen.toolError,
          bytes: seen.bytes,
          sessionRef: facts.sessionRef ?? null,
          requestId: facts.requestId ?? null,
        }),
      );
    },
  };
}

/** GET /metrics: the exposition; hostlens:admin when auth is on (401/403 like /mcp). */
export async function metricsResponse(metrics: Metrics, authenticator: Authenticator | null, request: Request): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return httpErrorResponse(new HostlensError('method_not_allowed', 'Method Not Allowed: /metrics answers GET'), { headers: { allow: 'GET, HEAD' } });
  }
  const allowed = await authorize(authenticator, request, 'hostlens:admin');
  if (allowed instanceof Response) return allowed;
  return metrics.response();
}

interface TelemetrySetup {
  /** auditLog config: path null = off; undefined = on at defaultAuditPath() when auth is on. */
  auditLog: { path?: string | null | undefined; maxBytes: number; keep: number };
  metrics: boolean;
  authOn: boolean;
  sampler?: LagSource;
  samplerIntervalMs?: number;
  toolNames?: Iterable<string>;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}

/** The audit log and metrics `hostlens serve` runs with (see the README's "Audit log and metrics"). */
export function createTelemetry(setup: TelemetrySetup): Telemetry & { audit: AuditLog | null; metrics: Metrics | null } {
  const path = setup.auditLog.path === undefined ? (setup.authOn ? defaultAuditPath(setup.env) : null) : setup.auditLog.path;
  const audit = path === null ? null : createAuditLog({ path, maxBytes: setup.auditLog.maxBytes, keep: setup.auditLog.keep, ...(setup.logger ? { logger: setup.logger } : {}) });
  const sampler = setup.sampler;
  const interval = setup.samplerIntervalMs ?? DEFAULT_SAMPLER_INTERVAL_MS;
  const metrics = setup.metrics
    ? createMetrics({
        ...(setup.toolNames ? { toolNames: setup.toolNames } : {}),
        ...(sampler ? { samplerLag: () => samplerLagSeconds(sampler, interval) } : {}),
        ...(audit ? { auditDropped: () => audit.stats().dropped } : {}),
      })
    : null;
  if (audit) setup.logger?.info('audit log', { path: audit.path, maxBytes: audit.maxBytes, keep: audit.keep });
  return { audit, metrics };
}
