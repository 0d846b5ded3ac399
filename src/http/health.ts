/** /healthz (the process answers) and /readyz (collectors usable). */
import { jsonResponse } from '../server/jsonrpc-errors.js';

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}
export type Readiness = () => Record<string, ReadinessCheck>;

export function healthResponse(startedAt: number, version: string): Response {
  return jsonResponse(200, { status: 'ok', version, uptimeSec: Math.round((Date.now() - startedAt) / 1000) });
}

export function readinessResponse(readiness: Readiness | undefined, draining: boolean): Response {
  const checks: Record<string, ReadinessCheck> = readiness ? safeChecks(readiness) : {};
  if (draining) checks.shutdown = { ok: false, detail: 'server is shutting down' };
  const ready = Object.values(checks).every((c) => c.ok);
  return jsonResponse(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks });
}

function safeChecks(readiness: Readiness): Record<string, ReadinessCheck> {
  try {
    return readiness();
  } catch {
    return { readiness: { ok: false, detail: 'readiness check failed' } };
  }
}
