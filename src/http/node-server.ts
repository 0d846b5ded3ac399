/**
 * The node:http server around the fetch handler: what happens before a
 * request reaches it.
 *
 * - Slow clients (slowloris): the request head must arrive within
 *   `headersTimeout`, the whole request within `requestTimeout`, else 408 and
 *   the connection closed. Node stops that clock once a request has been
 *   received, so long-lived SSE responses are never cut; the check runs every
 *   ≤ 1 s (node's default is every 30 s).
 * - Connection-level errors (`clientError`: a malformed request, an oversized
 *   head, a timeout) get node's own statuses (400, 431, 413, 408, then the
 *   connection closed) with a JSON-RPC error body (-32000), except that a response still being produced for an
 *   earlier request on the same connection (pipelining) is finished first:
 *   node's default would write the 400 over it and destroy it.
 * - TRACE and TRACK (which the fetch Request cannot carry) → 405 with Allow
 *   and a JSON-RPC error body, like any other method /mcp does not serve.
 * - Duplicate Host headers and transfer codings other than chunked → 400/501
 *   and the connection closed (framing.ts).
 * - With `localPeers` (authentication off): each accepted connection's local
 *   user is looked up once, and requests from users not allowed get 403
 *   (local-peers.ts).
 */
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../util/log.js';
import { TRANSPORT_ERROR } from '../server/jsonrpc-errors.js';
import { closingAfterRefusal, refuseAmbiguousFraming } from './framing.js';
import { createLocalPeerGate } from './local-peers.js';
import type { LocalPeerPolicy } from './local-peers.js';

/**
 * How long an idle keep-alive connection stays open. Well above the 4 s that
 * undici (Node's fetch, the SDK clients) keeps an idle pooled socket: the
 * client must always be the one to close first, or a request it sends on a
 * socket the server is closing at that moment fails with "other side closed"
 * (seen under CPU load with the former 5 s).
 */
export const IDLE_KEEP_ALIVE_MS = 65_000;

interface NodeServerOptions {
  headersTimeoutMs: number;
  /** The whole request (head and body). */
  requestTimeoutMs: number;
  keepAliveTimeoutMs?: number;
  /** Connection-level refusals (408, 431, 400, …) are logged here: they never reach the request log. */
  logger?: Logger;
  /** Authentication off: serve only the local users this policy allows (local-peers.ts). */
  localPeers?: LocalPeerPolicy;
}

/** How long a connection that sent garbage may wait for its in-flight response before it is closed anyway. */
const PIPELINE_WAIT_MS = 10_000;

export function createNodeServer(options: NodeServerOptions, handler: RequestListener): Server {
  const peers = options.localPeers ? createLocalPeerGate(options.localPeers, options.logger) : null;
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, options.headersTimeoutMs / 4)),
    },
    (req, res) => {
      if (refuseAmbiguousFraming(req, res, options.logger) || refuseUnfetchableMethod(req, res) || refuseUnroutable(req, res, options.logger)) return;
      if (peers) peers.admit(req, res, () => handler(req, res));
      else handler(req, res);
    },
  );
  // Looked up as the connection is accepted, so the answer is usually there before the request head is.
  if (peers) server.on('connection', (socket: Socket) => peers.identify(socket));
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? IDLE_KEEP_ALIVE_MS;
  const refused = new WeakSet<Duplex>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (closingAfterRefusal.has(socket)) return; // already answered and closing (framing.ts)
    // One line per refused connection (not the EOF error that follows our own answer); a client hanging up is not worth one.
    if (!refused.has(socket) && error.code !== 'ECONNRESET' && error.code !== 'EPIPE') {
      options.logger?.info('client error', { status: statusFor(error), code: error.code ?? 'unknown' });
    }
    refused.add(socket);
    onClientError(error, socket);
  });
  return server;
}

function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): true {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: TRANSPORT_ERROR, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
  req.resume();
  return true;
}

/** fetch refuses these methods outright; answer them here instead of letting the adapter fail with 500. */
function refuseUnfetchableMethod(req: IncomingMessage, res: ServerResponse): boolean {
  const method = (req.method ?? '').toUpperCase();
  if (method !== 'TRACE' && method !== 'TRACK') return false;
  return refuse(req, res, 405, 'Method Not Allowed', { allow: 'GET, POST, DELETE' });
}

/**
 * The node adapter builds the request URL as `http://<Host><target>`; a Host
 * with userinfo, a space, a bad bracket or port, or a target that is not a
 * path (absolute-form, `*`) cannot form a fetch Request and used to end in a
 * 500. It is the client's fault: 400.
 */
function refuseUnroutable(req: IncomingMessage, res: ServerResponse, logger?: Logger): boolean {
  const host = req.headers.host;
  const target = req.url ?? '/';
  let url: URL | null = null;
  if (target.startsWith('/')) {
    try {
      url = new URL(`http://${host ?? 'localhost'}${target}`);
    } catch {
      url = null;
    }
  }
  if (url !== null && url.username === '' && url.password === '') return false;
  logger?.info('client error', { status: 400, code: 'BAD_HOST_OR_TARGET' });
  return refuse(req, res, 400, 'Bad Request: the Host header and request target must form an http URL (host[:port], then a path)');
}

function statusFor(error: NodeJS.ErrnoException): number {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

const REASONS: Record<number, string> = {
  400: 'the request is not valid HTTP/1.1',
  408: 'the request did not arrive in time (headerTimeoutSec for the head, headerTimeoutSec + bodyTimeoutSec for the whole request)',
  413: 'chunk extensions too large',
  431: 'the request line or headers are too large',
};

/** node's own status for a connection-level refusal, with a JSON-RPC error body like every other error hostlens gives. */
function rawErrorResponse(status: number): string {
  const text = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: TRANSPORT_ERROR, message: `${text}: ${REASONS[status] ?? 'refused'}` }, id: null });
  return `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const status = statusFor(error);
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
  const answer = (): void => {
    // Never write into a response that has begun: the peer would read a corrupt stream.
    if (socket.writable && (!inFlight || !inFlight.headersSent || inFlight.writableFinished)) {
      socket.end(rawErrorResponse(status));
      setTimeout(() => socket.destroy(), 1_000).unref();
    } else {
      socket.destroy();
    }
  };
  if (status === 400 && inFlight && !inFlight.writableFinished && socket.writable) {
    // Pipelined garbage after a valid request: let that request's answer out first.
    const timer = setTimeout(() => socket.destroy(), PIPELINE_WAIT_MS);
    timer.unref();
    const after = (): void => {
      clearTimeout(timer);
      answer();
    };
    inFlight.once('finish', after);
    inFlight.once('close', () => {
      if (!inFlight.writableFinished) {
        clearTimeout(timer);
        socket.destroy();
      }
    });
    return;
  }
  answer();
}
