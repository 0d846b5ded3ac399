/**
 * Request heads whose meaning is ambiguous, refused before anything reads them (RFC 9112/9110), each
 * answered with a JSON-RPC error body and the connection closed:
 *
 * - More than one Host header, in any spelling, equal or not → 400 (RFC 9112 §3.2: "MUST respond with
 *   a 400 … to any HTTP/1.1 request message that … contains more than one Host header line"). Node
 *   keeps the first and drops the rest, so the guards would have judged one value while a proxy in
 *   front may have routed by another.
 * - Transfer-Encoding other than exactly `chunked`. Node serves a request whose TE does not end in
 *   chunked (`xchunked`, `gzip`) as a body that runs until the client closes: the request hung until the
 *   request timeout. Without chunked as the final coding the body length cannot be determined → 400 and
 *   close (RFC 9112 §6.3, a MUST); a final chunked after codings this server does not implement
 *   (`gzip, chunked`) → 501 (RFC 9112 §6.1, SHOULD) and close. Coding names are case-insensitive and
 *   surrounding whitespace is allowed, so `Transfer-Encoding:  CHUNKED ` is served. (TE with
 *   Content-Length, two TE lines and obs-fold are already refused by node's parser with 400.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../util/log.js';
import { TRANSPORT_ERROR } from '../server/jsonrpc-errors.js';

function headerLines(req: IncomingMessage, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === name) out.push(req.rawHeaders[i + 1]!);
  return out;
}

/** The refusal a request head deserves, or null when its framing and Host are unambiguous. */
function framingProblem(req: IncomingMessage): { status: 400 | 501; code: string; message: string } | null {
  if (headerLines(req, 'host').length > 1) {
    return { status: 400, code: 'DUPLICATE_HOST', message: 'Bad Request: more than one Host header' };
  }
  const te = headerLines(req, 'transfer-encoding');
  if (te.length === 0) return null;
  const codings = te.join(',').split(',').map((c) => c.trim().toLowerCase());
  if (codings.length === 1 && codings[0] === 'chunked') return null;
  if (codings.at(-1) !== 'chunked') {
    return { status: 400, code: 'BAD_TRANSFER_ENCODING', message: 'Bad Request: Transfer-Encoding must end in chunked (the body length cannot be determined otherwise)' };
  }
  return { status: 501, code: 'UNSUPPORTED_TRANSFER_CODING', message: 'Not Implemented: the only transfer coding served is chunked' };
}

/**
 * Connections closing after such a refusal. Node has usually parsed the bytes after the head already (a
 * body it could not frame reads as a garbage next request): its clientError on them must stay silent, or
 * a second 400 would follow the first.
 */
export const closingAfterRefusal = new WeakSet<object>();

/** Answers an ambiguous request head (framingProblem) and closes the connection; false when there is nothing to refuse. */
export function refuseAmbiguousFraming(req: IncomingMessage, res: ServerResponse, logger?: Logger): boolean {
  const problem = framingProblem(req);
  if (problem === null) return false;
  logger?.info('client error', { status: problem.status, code: problem.code });
  closingAfterRefusal.add(req.socket);
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: TRANSPORT_ERROR, message: problem.message }, id: null });
  res.writeHead(problem.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' });
  // The body (if any) is never read: whatever the client still sends is dropped with the connection.
  res.end(body, () => {
    req.socket.end();
    setTimeout(() => req.socket.destroy(), 1_000).unref();
  });
  return true;
}
