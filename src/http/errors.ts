/**
 * JSON-RPC error responses for the HTTP layer. Every non-2xx answer hostlens
 * gives on /mcp is a JSON-RPC error object in a JSON body: never HTML, never a
 * stack trace.
 */

export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_REQUEST = -32600;
export const JSONRPC_METHOD_NOT_FOUND = -32601;
export const JSONRPC_INVALID_PARAMS = -32602;
export const JSONRPC_INTERNAL_ERROR = -32603;
/** Transport-level rejection (the SDK's own code for 4xx answers on the legacy path). */
export const TRANSPORT_ERROR = -32000;
/** Unknown or expired legacy session (the SDK v2 code). */
export const SESSION_NOT_FOUND = -32001;

export type JsonRpcId = string | number | null;

export interface ErrorResponseOptions {
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

/** The id of a parsed JSON-RPC request, when it has a usable one. */
export function requestIdOf(body: unknown): JsonRpcId {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}
