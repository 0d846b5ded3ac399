/**
 * The one error a user can act on (an agent, an HTTP client, an operator),
 * thrown from any layer. `code` says what kind of failure it is; only
 * src/server/error-mapping.ts turns it into an answer (a tool error result,
 * a JSON-RPC error, an HTTP status with a JSON-RPC body). The message is
 * shown to the client as it is, so it never holds a secret or a stack;
 * `data` is sent beside it (JSON-RPC error data); `cause` is for the
 * server's log and is never sent.
 */

/**
 * Every code, in three groups. Each has one HTTP status and one JSON-RPC
 * code (error-mapping.ts); the later groups are thrown only by the
 * transport code in src/server and src/http.
 */
export const ERROR_CODES = [
  // What a caller did or asked for.
  /** An argument the caller can fix (a bad filter, an inverted range, a malformed cursor). */
  'invalid_argument',
  /** What the request names does not exist (a pid, a unit, a snapshot id, a path, a resource). */
  'not_found',
  /** Refused by policy: a missing scope, a deny-listed file, a disallowed Host or Origin. */
  'forbidden',
  /** No credentials, or credentials that are not valid. */
  'unauthorized',
  /** Over a size bound (a request body, a result, a snapshot). */
  'too_large',
  /** Over a rate or count cap (requests, streams, queued calls, subscriptions): retry later or close something. */
  'rate_limited',
  /** Cannot be served now (shutting down, no free session); retrying later may work. */
  'unavailable',
  /** A deadline passed (a tool's toolTimeoutSec). */
  'timeout',
  /** A fault of the server: the message is logged, never shown. */
  'internal',
  // JSON-RPC: what is wrong with the message.
  /** The body is not JSON. */
  'parse_error',
  /** The JSON is not a request this server takes (a batch outside 2025-03-26, an over-deep or over-long message). */
  'invalid_request',
  /** No one serves the method. */
  'method_not_found',
  /** The Mcp-Session-Id names no live session of this principal. */
  'session_not_found',
  // HTTP: what is wrong with the request around the message.
  /** A malformed header or URL (a repeated Authorization, a missing Mcp-Session-Id). */
  'bad_request',
  'method_not_allowed',
  /** Accept does not admit the answer's media types. */
  'not_acceptable',
  /** The resource is taken (a session's event stream already open on this replica). */
  'conflict',
  'unsupported_media_type',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

interface HostlensErrorOptions {
  /** Sent to the client beside the message (JSON-RPC error data); nothing secret. */
  data?: unknown;
  /** What went wrong underneath: logged, never sent. */
  cause?: unknown;
}

export class HostlensError extends Error {
  override name = 'HostlensError';
  readonly code: ErrorCode;
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, options: HostlensErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data;
  }
}

/** Whether `error` is a HostlensError (with `code`, when given). */
export function isHostlensError(error: unknown, code?: ErrorCode): error is HostlensError {
  return error instanceof HostlensError && (code === undefined || error.code === code);
}
