/**
 * Raw node:http requests the SDK client cannot make: a call whose socket is destroyed mid-call,
 * a POST on a session id that does not exist, and the session probe used after the TTL.
 */
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { LEGACY, legacyHeaders, modernToolCall } from '../wire.js';
import type { HttpResult } from '../wire.js';

function send(port: number, headers: Record<string, string>, body: string, options: { destroyAfterMs?: number; timeoutMs?: number } = {}): Promise<HttpResult | 'destroyed'> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/mcp', method: 'POST', agent: false, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', (e) => (options.destroyAfterMs !== undefined ? resolve('destroyed') : reject(e)));
      },
    );
    req.setTimeout(options.timeoutMs ?? 15_000, () => req.destroy(new Error(`raw request timed out after ${options.timeoutMs ?? 15_000} ms`)));
    req.on('error', (e) => (options.destroyAfterMs !== undefined && req.destroyed && !/timed out/.test(e.message) ? resolve('destroyed') : reject(e)));
    req.end(body);
    if (options.destroyAfterMs !== undefined) {
      setTimeout(() => {
        req.destroy();
        resolve('destroyed');
      }, options.destroyAfterMs);
    }
  });
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/**
 * A windowed tools/call whose TCP socket is destroyed after `afterMs` (the server is then
 * mid-call): in the client's own session (legacy) or stateless (modern). Resolves 'destroyed',
 * or the reply if it came first (the caller treats that as unexpected: the window was longer).
 */
export function destroyMidCall(port: number, token: string, sessionId: string | undefined, tool: string, windowSec: number, afterMs: number): Promise<HttpResult | 'destroyed'> {
  const args = { windowSec };
  if (sessionId) {
    const body = JSON.stringify({ jsonrpc: '2.0', id: `soak-drop-${randomUUID()}`, method: 'tools/call', params: { name: tool, arguments: args } });
    return send(port, { ...legacyHeaders(sessionId), ...bearer(token) }, body, { destroyAfterMs: afterMs });
  }
  const call = modernToolCall(Date.now(), tool, args);
  return send(port, { ...call.headers, ...bearer(token) }, call.body, { destroyAfterMs: afterMs });
}

/** A request on `sessionId` (default: a fresh random one, which must not exist): `ping`. */
export async function sessionRequest(port: number, token: string, sessionId: string = randomUUID()): Promise<HttpResult> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
  const r = await send(port, { ...legacyHeaders(sessionId), ...bearer(token), 'mcp-protocol-version': LEGACY }, body, { timeoutMs: 10_000 });
  if (r === 'destroyed') throw new Error('unreachable');
  return r;
}

/** True when a reply is the spec's answer for an unknown session: HTTP 404 with JSON-RPC error -32001. */
export function isSessionNotFound(r: HttpResult): boolean {
  if (r.status !== 404) return false;
  try {
    const body = JSON.parse(r.body) as { error?: { code?: number } };
    return body.error?.code === -32001;
  } catch {
    return false;
  }
}
