/**
 * Errors leave hostlens here and nowhere else. Anything thrown — a
 * HostlensError from any layer, a Node errno error from a collector, a zod
 * error, the SDK's own protocol errors, a bug — becomes one of three
 * answers:
 *
 * - a tool error result (`isError: true`, redacted and bounded text) when a
 *   tool ran and failed (toolErrorResult);
 * - a JSON-RPC error (the SDK's ProtocolError, which the SDK encodes per
 *   protocol era) for resources/read, prompts/get, completion/complete,
 *   subscriptions and a tools/call refused before the tool runs
 *   (toProtocolError, answeringErrors);
 * - an HTTP status with a JSON-RPC error body in the HTTP layer
 *   (httpErrorResponse), or the same error object on a stdio line
 *   (jsonRpcErrorObject).
 *
 * ANSWERS holds the one status and JSON-RPC code per error code. An error
 * that is not a HostlensError is translated first (translate): errno codes
 * and zod issues keep their first line; anything else is `internal`, which
 * answers only "Internal error" (no message, no stack) and is logged with
 * its cause chain. A HostlensError's `cause` is logged, never sent.
 */
import { ProtocolError, ResourceNotFoundError } from '@modelcontextprotocol/server';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { ZodError } from 'zod';
import { HostlensError } from '../contracts/errors.js';
import type { ErrorCode } from '../contracts/errors.js';
import { clipBeforeRedaction, clipString } from '../collectors/read.js';
import { redact } from '../redaction/redact.js';
import type { Logger } from '../util/log.js';
import {
  JSONRPC_INTERNAL_ERROR,
  JSONRPC_INVALID_PARAMS,
  JSONRPC_INVALID_REQUEST,
  JSONRPC_METHOD_NOT_FOUND,
  JSONRPC_PARSE_ERROR,
  jsonRpcError,
  SESSION_NOT_FOUND,
  TRANSPORT_ERROR,
} from './jsonrpc-errors.js';
import type { JsonRpcId } from './jsonrpc-errors.js';

interface Answer {
  /** The HTTP status of a refused HTTP request. */
  status: number;
  /** The JSON-RPC code in an answer to a message (and on a stdio line). */
  rpc: number;
  /**
   * The JSON-RPC code in an HTTP error body: a refusal of the HTTP request around the message (its
   * headers, method, size, rate, credentials) carries -32000, the SDK's transport error code; a
   * refusal of the message itself carries the message's code.
   */
  httpRpc: number;
}

/**
 * One answer per code. Not found is -32602 in a JSON-RPC answer: the SDK's ResourceNotFoundError
 * (2.4.0) answers a resources/read miss so on every era, with data.uri, and an unknown tool or prompt
 * name is Invalid params too. Refusals by scope and caps inside a message are -32600, as the scope
 * checks of tools/call, resources/read and resources/subscribe have always answered.
 */
export const ANSWERS: Readonly<Record<ErrorCode, Answer>> = {
  invalid_argument: { status: 400, rpc: JSONRPC_INVALID_PARAMS, httpRpc: JSONRPC_INVALID_PARAMS },
  not_found: { status: 404, rpc: JSONRPC_INVALID_PARAMS, httpRpc: TRANSPORT_ERROR },
  forbidden: { status: 403, rpc: JSONRPC_INVALID_REQUEST, httpRpc: TRANSPORT_ERROR },
  unauthorized: { status: 401, rpc: JSONRPC_INVALID_REQUEST, httpRpc: TRANSPORT_ERROR },
  too_large: { status: 413, rpc: JSONRPC_INVALID_PARAMS, httpRpc: TRANSPORT_ERROR },
  rate_limited: { status: 429, rpc: JSONRPC_INVALID_REQUEST, httpRpc: TRANSPORT_ERROR },
  unavailable: { status: 503, rpc: JSONRPC_INTERNAL_ERROR, httpRpc: TRANSPORT_ERROR },
  timeout: { status: 504, rpc: JSONRPC_INTERNAL_ERROR, httpRpc: TRANSPORT_ERROR },
  internal: { status: 500, rpc: JSONRPC_INTERNAL_ERROR, httpRpc: JSONRPC_INTERNAL_ERROR },
  parse_error: { status: 400, rpc: JSONRPC_PARSE_ERROR, httpRpc: JSONRPC_PARSE_ERROR },
  invalid_request: { status: 400, rpc: JSONRPC_INVALID_REQUEST, httpRpc: JSONRPC_INVALID_REQUEST },
  method_not_found: { status: 404, rpc: JSONRPC_METHOD_NOT_FOUND, httpRpc: JSONRPC_METHOD_NOT_FOUND },
  session_not_found: { status: 404, rpc: SESSION_NOT_FOUND, httpRpc: SESSION_NOT_FOUND },
  bad_request: { status: 400, rpc: JSONRPC_INVALID_REQUEST, httpRpc: TRANSPORT_ERROR },
  method_not_allowed: { status: 405, rpc: JSONRPC_INVALID_REQUEST, httpRpc: TRANSPORT_ERROR },
  not_acceptable: { status: 406, rpc: JSONRPC_INVALID_REQUEST, httpRpc: TRANSPORT_ERROR },
  conflict: { status: 409, rpc: JSONRPC_INVALID_REQUEST, httpRpc: TRANSPORT_ERROR },
  unsupported_media_type: { status: 415, rpc: JSONRPC_INVALID_REQUEST, httpRpc: TRANSPORT_ERROR },
};

/** What an `internal` error answers, whatever its message. */
const INTERNAL_MESSAGE = 'Internal error';

/** Node's errno codes that say what is wrong; any other errno is `unavailable`. */
const ERRNO: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'not_found',
  ENOTDIR: 'not_found',
  ESRCH: 'not_found',
  EACCES: 'forbidden',
  EPERM: 'forbidden',
  ETIMEDOUT: 'timeout',
};

const firstLine = (text: string): string => text.split('\n', 1)[0] ?? '';

/**
 * `error` as a HostlensError: itself when it is one; a Node errno error (a collector's read failed)
 * with its first line, which names the code, the call and the path; a zod error with its first issue
 * (where and what); a DOMException TimeoutError as `timeout`; anything else `internal`. A translated
 * error keeps the original as its cause.
 */
export function translate(error: unknown): HostlensError {
  if (error instanceof HostlensError) return error;
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
    return new HostlensError('invalid_argument', `${where}${issue?.message ?? 'invalid'}${more}`, { cause: error });
  }
  if (error instanceof Error) {
    const errno = (error as NodeJS.ErrnoException).code;
    if (typeof errno === 'string' && /^E[A-Z0-9]+$/.test(errno) && typeof (error as NodeJS.ErrnoException).syscall === 'string') {
      return new HostlensError(ERRNO[errno] ?? 'unavailable', firstLine(error.message), { cause: error });
    }
    if (error.name === 'TimeoutError') return new HostlensError('timeout', 'the operation timed out', { cause: error });
  }
  return new HostlensError('internal', INTERNAL_MESSAGE, { cause: error });
}

/** One line per error in the chain (name, errno code, first line of the message; never a stack), redacted. */
function describeForLog(error: unknown, depth = 4): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let i = 0; i < depth && e !== undefined; i += 1) {
    if (e instanceof Error) {
      const errno = (e as NodeJS.ErrnoException).code;
      const code = e instanceof HostlensError ? e.code : typeof errno === 'string' ? errno : undefined;
      parts.push(`${e.name}${code ? ` (${code})` : ''}: ${firstLine(e.message)}`);
      e = e.cause;
    } else {
      parts.push(typeof e === 'string' ? firstLine(e) : typeof e);
      break;
    }
  }
  return redact(parts.join(' <- ')).text;
}

/** Logs what the client is not shown: an internal error, or the cause of one the client is. */
function logUnsent(log: Logger | undefined, where: string, shown: HostlensError, original: unknown): void {
  if (!log) return;
  if (shown.code === 'internal') log.error('internal error', { where, error: describeForLog(original) });
  else if (shown.cause !== undefined) log.warn('error cause', { where, code: shown.code, error: describeForLog(original) });
}

/** The answer text of a HostlensError: its message, or only "Internal error" for `internal`. */
function shownMessage(e: HostlensError): string {
  return e.code === 'internal' ? INTERNAL_MESSAGE : e.message;
}

interface ToolErrorOptions {
  /** The call's cancellation signal: a call cancelled by its client says so, whatever was thrown. */
  signal?: AbortSignal;
  /** maxResultBytes: the text is kept within it (4 bytes a character at most). */
  maxBytes?: number;
  log?: Logger;
}

/**
 * A tool call that failed, as the `isError` result the agent reads: the HostlensError's message; the
 * SDK's own argument-validation message; `<tool> failed: <first line>` for a translated errno or zod
 * error; `<tool> failed: internal error` for anything else. Redacted (an argument echoed in a message
 * may hold a secret), then bounded: redaction first, so a clip never leaves half a secret unmatched.
 */
export function toolErrorResult(name: string, error: unknown, options: ToolErrorOptions = {}): CallToolResult {
  let text: string;
  if (options.signal?.aborted) {
    text = `${name} was cancelled before it finished`;
  } else if (error instanceof ProtocolError) {
    text = error.message;
  } else {
    const e = translate(error);
    logUnsent(options.log, `tool ${name}`, e, error);
    if (e.code === 'internal') text = `${name} failed: internal error`;
    else text = e === error ? e.message : `${name} failed: ${e.message}`;
  }
  const redacted = redact(clipBeforeRedaction(text, 65_536)).text;
  const bounded = options.maxBytes === undefined ? redacted : clipString(redacted, Math.floor(options.maxBytes / 4) - 32);
  return { content: [{ type: 'text', text: bounded }], isError: true };
}

/**
 * A JSON-RPC error for a failed request. The SDK's own ProtocolErrors pass unchanged. `uri`: the
 * resource the request named; not_found then answers as the SDK's ResourceNotFoundError (data.uri).
 */
export function toProtocolError(error: unknown, options: { uri?: string; log?: Logger } = {}): ProtocolError {
  if (error instanceof ProtocolError) return error;
  const e = translate(error);
  logUnsent(options.log, 'request', e, error);
  if (e.code === 'not_found' && options.uri !== undefined) return new ResourceNotFoundError(options.uri, e.message);
  return new ProtocolError(ANSWERS[e.code].rpc, shownMessage(e), e.code === 'internal' ? undefined : e.data);
}

/**
 * `handler` with every error it throws answered through toProtocolError (the request's params.uri,
 * when it names one, is the resource of a not_found): for handlers installed on the SDK, which would
 * otherwise send a plain error's message and -32603.
 */
export function answeringErrors<Req extends { params?: unknown }, Ctx, R>(handler: (request: Req, ctx: Ctx) => R | Promise<R>, log?: Logger): (request: Req, ctx: Ctx) => Promise<R> {
  return async (request, ctx) => {
    try {
      return await handler(request, ctx);
    } catch (error) {
      const uri = (request.params as { uri?: unknown } | undefined)?.uri;
      throw toProtocolError(error, { ...(typeof uri === 'string' ? { uri } : {}), ...(log ? { log } : {}) });
    }
  };
}

/** The JSON-RPC error object for `error` in an answer to a message (a stdio line). */
export function jsonRpcErrorObject(error: unknown, log?: Logger): { code: number; message: string; data?: unknown } {
  const e = translate(error);
  logUnsent(log, 'message', e, error);
  const data = e.code === 'internal' ? undefined : e.data;
  return { code: ANSWERS[e.code].rpc, message: shownMessage(e), ...(data !== undefined ? { data } : {}) };
}

interface HttpErrorOptions {
  /** The JSON-RPC id of the refused request, when it could be read. */
  id?: JsonRpcId;
  /** HTTP headers the refusal carries (Allow, Retry-After, WWW-Authenticate, Connection). */
  headers?: Record<string, string>;
  log?: Logger;
}

/** A refused HTTP request: ANSWERS' status, and a JSON-RPC error body (never HTML, never a stack). */
export function httpErrorResponse(error: unknown, options: HttpErrorOptions = {}): Response {
  const e = translate(error);
  logUnsent(options.log, 'http', e, error);
  const answer = ANSWERS[e.code];
  const data = e.code === 'internal' ? undefined : e.data;
  return jsonRpcError(answer.status, answer.httpRpc, shownMessage(e), {
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
}
