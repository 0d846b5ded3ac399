/**
 * What a legacy request's body or headers say beyond its own call: the level
 * a logging/setLevel sets, and the cancellations and client answers that
 * belong to a call that may run on another replica (forwarded on the store's
 * control channel).
 */
import { isJSONRPCErrorResponse, isJSONRPCResultResponse } from '@modelcontextprotocol/server';
import type { JSONRPCMessage, LoggingLevel } from '@modelcontextprotocol/server';
import { HostlensError } from '../../contracts/errors.js';
import { httpErrorResponse } from '../../server/error-mapping.js';
import type { ControlChannel } from '../store/types.js';

/** A client's answer to a server request travels to every replica: larger ones are dropped. */
const MAX_FORWARDED_ANSWER_BYTES = 1024 * 1024;
const LEVELS = new Set<string>(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);

export const LEGACY_VERSIONS = new Set(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07']);

export function unsupportedVersion(version: string): Response {
  return httpErrorResponse(new HostlensError('bad_request', `Bad Request: Unsupported protocol version: ${version.slice(0, 32)}`));
}

/** The level a logging/setLevel request in the body sets (a valid one: the SDK refuses others). */
export function levelSetBy(body: unknown): LoggingLevel | undefined {
  for (const m of Array.isArray(body) ? body : [body]) {
    const { method, params } = (m ?? {}) as { method?: unknown; params?: { level?: unknown } };
    if (method === 'logging/setLevel' && typeof params?.level === 'string' && LEVELS.has(params.level)) return params.level as LoggingLevel;
  }
  return undefined;
}

/** JSON-RPC responses in the body (answers to server requests): the call that asked may run on another replica. */
function clientResponsesIn(body: unknown): JSONRPCMessage[] {
  return (Array.isArray(body) ? body : [body]).filter(
    (m): m is JSONRPCMessage => (isJSONRPCResultResponse(m) || isJSONRPCErrorResponse(m)) && JSON.stringify(m).length <= MAX_FORWARDED_ANSWER_BYTES,
  );
}

/** notifications/cancelled in the body: the call may run on another replica. */
function cancellationsIn(body: unknown): Array<{ requestId: string | number; reason?: string }> {
  const out: Array<{ requestId: string | number; reason?: string }> = [];
  for (const m of Array.isArray(body) ? body : [body]) {
    const { method, params } = (m ?? {}) as { method?: unknown; params?: { requestId?: unknown; reason?: unknown } };
    const id = params?.requestId;
    if (method !== 'notifications/cancelled' || (typeof id !== 'string' && typeof id !== 'number')) continue;
    out.push({ requestId: id, ...(typeof params?.reason === 'string' ? { reason: params.reason.slice(0, 256) } : {}) });
  }
  return out;
}

/** Publishes the body's cancellations and client answers to whichever replica runs the call they belong to. */
export function forwardToCalls(control: ControlChannel, session: string, body: unknown): void {
  for (const c of cancellationsIn(body)) control.publish({ type: 'cancel', session, ...c });
  for (const m of clientResponsesIn(body)) control.publish({ type: 'client-response', session, message: m });
}
