/**
 * JSON-RPC error responses for the HTTP layer. Every non-2xx answer hostlens
 * gives on /mcp is a JSON-RPC error object in a JSON body: never HTML, never a
 * stack trace. Which status and code an error gets is error-mapping.ts's
 * decision; this file holds the codes and builds the body.
 */
import { INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR } from '@modelcontextprotocol/server';

export const JSONRPC_PARSE_ERROR = PARSE_ERROR;
export const JSONRPC_INVALID_REQUEST = INVALID_REQUEST;
export const JSONRPC_METHOD_NOT_FOUND = METHOD_NOT_FOUND;
export const JSONRPC_INVALID_PARAMS = INVALID_PARAMS;
export const JSONRPC_INTERNAL_ERROR = INTERNAL_ERROR;
/** Transport-level rejection (the SDK's own code for 4xx answers on the legacy path). */
export const TRANSPORT_ERROR = -32000;
/** Unknown or expired legacy session (the SDK v2 code). */
export const SESSION_NOT_FOUND = -32001;

export type JsonRpcId = string | number | null;

interface ErrorResponseOptions {
  id?: JsonRpcId;
  data?: unknown;
  headers?: Record<string, string>;
}

export function jsonRpcError(status: number, code: number, message: string, options: ErrorResponseOptions = {}): Response {
  const error: Record<string, unknown> = { code, message };
  if (options.data !== undefined) error.data = options.data;
  return new Response(JSON.stringify({ jsonrpc: '2.0', error, id: options.id ?? null }), {
    status,
    headers: { 'content-type': 'application/json', ...options.headers },
  });
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}

/**
 * The id of a parsed JSON-RPC request, when it has a usable one. Not the SDK's isJSONRPCRequest: a
 * message that check refuses (no method, a bad jsonrpc) still gets its error answered with its id.
 */
export function requestIdOf(body: unknown): JsonRpcId {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/**
 * Client-chosen text an error echoes (a method, tool or prompt name, a URI, a header value) is clipped to
 * this many UTF-16 units: a 4 MB name used to come back twice in an 8 MB error body.
 */
const ECHO_CHARS = 256;

/** `s` cut to `max` units with a `…[+N chars]` marker (never splitting a surrogate pair; O(max), not O(length)). */
export function clipEcho(s: string, max = ECHO_CHARS): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  const keep = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${s.slice(0, keep)}…[+${s.length - keep} chars]`;
}

/** Error `data` with every string clipped, at most 32 members per object or array and 4 levels. */
export function clipEchoData(value: unknown, depth = 4): unknown {
  if (typeof value === 'string') return clipEcho(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth <= 0) return Array.isArray(value) ? [] : {};
  if (Array.isArray(value)) return value.slice(0, 32).map((v) => clipEchoData(v, depth - 1));
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    if (n++ >= 32) break;
    out[clipEcho(k, 64)] = clipEchoData(v, depth - 1);
  }
  return out;
}

/** Bodies up to this size are passed through as they are: nothing in them can be an unbounded echo. */
const SMALL_ERROR_BODY = 2_048;

/**
 * A JSON error response (4xx/5xx) with its JSON-RPC error's message and data clipped (clipEcho): for
 * errors built where hostlens cannot reach the message (the SDK's header/body mismatch and protocol
 * version checks echo header and body values). Other responses are returned untouched.
 */
export async function clipErrorResponse(response: Response): Promise<Response> {
  if (response.status < 400 || !/^application\/json/i.test(response.headers.get('content-type') ?? '')) return response;
  const text = await response.text();
  const rebuilt = (body: string): Response => {
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  };
  if (text.length <= SMALL_ERROR_BODY) return rebuilt(text);
  let parsed: { error?: { message?: unknown; data?: unknown } } & Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return rebuilt(JSON.stringify({ jsonrpc: '2.0', error: { code: JSONRPC_INTERNAL_ERROR, message: 'Internal error' }, id: null }));
  }
  const error = parsed.error ?? {};
  const clipped = {
    ...error,
    ...(typeof error.message === 'string' ? { message: clipEcho(error.message) } : {}),
    ...(error.data !== undefined ? { data: clipEchoData(error.data) } : {}),
  };
  const id = typeof parsed.id === 'string' ? clipEcho(parsed.id, 1_024) : (parsed.id ?? null);
  return rebuilt(JSON.stringify({ jsonrpc: '2.0', error: clipped, id }));
}
