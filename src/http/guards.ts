/**
 * Request guards that run before anything else on /mcp: a Host allow-list and
 * an Origin check (DNS-rebinding defence, 403), and a static bearer token
 * (401 with WWW-Authenticate). Each guard returns null to let the request
 * through, or the Response to answer with.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { jsonRpcError, TRANSPORT_ERROR } from './errors.js';

export type Guard = (request: Request) => Response | null;

export const LOOPBACK_HOSTNAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** `Host: name[:port]` → lower-cased name, IPv6 literals kept in brackets. */
export function hostnameOf(hostHeader: string): string | null {
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

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Static bearer token check, constant-time over SHA-256 digests (so neither
 * the token's content nor its length leaks through timing).
 */
export function createBearerGuard(token: string, realm = 'hostlens'): Guard {
  const expected = digest(token);
  return (request) => {
    const header = request.headers.get('authorization');
    const m = header === null ? null : /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    if (!m) {
      return jsonRpcError(401, TRANSPORT_ERROR, 'Unauthorized: a bearer token is required', {
        headers: { 'www-authenticate': `Bearer realm="${realm}"` },
      });
    }
    if (!timingSafeEqual(digest(m[1] ?? ''), expected)) {
      return jsonRpcError(401, TRANSPORT_ERROR, 'Unauthorized: the bearer token is not valid', {
        headers: { 'www-authenticate': `Bearer realm="${realm}", error="invalid_token"` },
      });
    }
    return null;
  };
}
