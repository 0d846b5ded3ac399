/**
 * Request guards that run before anything else: a Host allow-list and an
 * Origin check (DNS-rebinding defence, 403). Each guard returns null to let
 * the request through, or the Response to answer with. Authentication of
 * /mcp lives in src/http/auth/.
 */
import type { IncomingMessage } from 'node:http';
import { jsonRpcError, TRANSPORT_ERROR } from '../server/jsonrpc-errors.js';

export type Guard = (request: Request) => Response | null;

export const LOOPBACK_HOSTNAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** `Host: name[:port]` → lower-cased name, IPv6 literals kept in brackets. */
function hostnameOf(hostHeader: string): string | null {
  const value = hostHeader.trim().toLowerCase();
  if (value === '') return null;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return null;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    return value.slice(0, end + 1);
  }
  const m = /^([a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(value);
  return m ? (m[1] ?? null) : null;
}

export function isLoopbackAddress(address: string): boolean {
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return a === 'localhost' || a === '::1' || /^127(\.\d{1,3}){3}$/.test(a) || a === '::ffff:127.0.0.1';
}

function forbidden(message: string): Response {
  return jsonRpcError(403, TRANSPORT_ERROR, message);
}

/** Allows only requests whose Host names one of `allowedHostnames` (any port). */
export function createHostGuard(allowedHostnames: readonly string[]): Guard {
  const allowed = new Set(allowedHostnames.map((h) => normaliseHostname(h)));
  return (request) => {
    const header = request.headers.get('host');
    const name = header === null ? null : hostnameOf(header);
    if (name === null || !allowed.has(name)) return forbidden('Forbidden: Host header is not allowed');
    return null;
  };
}

/**
 * Requests without Origin (every non-browser client) pass. A present Origin
 * must be an http(s) origin whose hostname is allowed, or match one of
 * `allowedOrigins` exactly; `Origin: null` is refused.
 */
export function createOriginGuard(allowedHostnames: readonly string[], allowedOrigins: readonly string[] = []): Guard {
  const hosts = new Set(allowedHostnames.map((h) => normaliseHostname(h)));
  const exact = new Set(allowedOrigins.map((o) => o.trim().toLowerCase().replace(/\/+$/, '')));
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null) return null;
    const value = origin.trim().toLowerCase();
    if (exact.has(value)) return null;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return forbidden('Forbidden: Origin is not allowed');
    }
    if ((url.protocol === 'http:' || url.protocol === 'https:') && hosts.has(normaliseHostname(url.hostname))) return null;
    return forbidden('Forbidden: Origin is not allowed');
  };
}

function normaliseHostname(name: string): string {
  const n = name.trim().toLowerCase();
  if (n.includes(':') && !n.startsWith('[')) return `[${n}]`;
  return n;
}

/**
 * Node keeps only the first of several Authorization headers; join them
 * (like the web Headers class does) so authentication sees the repetition
 * and refuses it instead of silently using one.
 */
export function joinRepeatedAuthorization(req: IncomingMessage): void {
  const values: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === 'authorization') values.push(req.rawHeaders[i + 1] ?? '');
  }
  if (values.length > 1) req.headers.authorization = values.join(', ');
}
