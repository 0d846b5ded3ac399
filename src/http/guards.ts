/**
 * The guard pipeline: every request the HTTP app serves passes an ordered
 * list of steps of one type (`Guard`), declared once in createHttpApp
 * (app.ts) and run by `runGuards`; the first step that answers ends the
 * request, and a request no step answers is dispatched to the MCP endpoint.
 * The order is the contract: it decides which status a request that breaks
 * several rules gets (a foreign Host is 403 before a missing token is 401,
 * a client over its rate limit is 429 before a shutting-down server is 503).
 *
 * This file also holds the first two steps: the Host allow-list and the
 * Origin check (DNS-rebinding defence, 403). Authentication is in
 * src/http/auth/, the limits in rate-limit.ts and stream-cap.ts, the checks
 * of a POSTed message in mcp-guards.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { HostlensError } from '../contracts/errors.js';
import { httpErrorResponse } from '../server/error-mapping.js';
import type { Principal } from '../server/principal.js';
import type { RequestFacts } from './mcp-endpoint.js';

/** What the steps learn about a request, for the steps after them and the endpoint. */
export interface RequestState {
  /** For the request log and the audit (mcp-endpoint.ts). */
  facts: RequestFacts;
  /** The TCP connection's key (tenant.ts), when the node listener passed it. */
  client?: string;
  /** Set by `auth`: what the SDK hands to handlers (absent for the anonymous principal). */
  authInfo?: AuthInfo;
  /** Set by `auth`. */
  principal?: Principal;
  /** Set by `auth`: whose limits the request counts against (tenant.ts). */
  tenant?: string;
  /** POST: the body as read by `body` (bounded by maxBodyBytes). */
  text?: string;
  /** POST: the JSON-RPC message(s) as parsed by `json`. */
  body?: unknown;
}

/** One step: undefined lets the request through, a Response answers it (a refusal, or a route such as /healthz). */
export type Guard = (request: Request, state: RequestState) => Response | undefined | Promise<Response | undefined>;

export interface GuardStep {
  /** Names the step in the list (createHttpApp) and in tests. */
  readonly name: string;
  readonly run: Guard;
}

/** Runs `steps` in order; the first answer, or undefined when every step let the request through. */
export async function runGuards(steps: readonly GuardStep[], request: Request, state: RequestState): Promise<Response | undefined> {
  for (const step of steps) {
    const answer = await step.run(request, state);
    if (answer) return answer;
  }
  return undefined;
}

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
  return httpErrorResponse(new HostlensError('forbidden', message));
}

/**
 * Allows only requests whose Host names one of `allowedHostnames` (any port).
 * Not the SDK's hostHeaderValidationResponse: it parses the header as a URL,
 * so `localhost:PORT/x`, `localhost:PORT?x`, `%6cocalhost:PORT` and
 * `0x7f.0.0.1` all become localhost and pass (test/hostile/headers.test.ts
 * sends the first three and expects 403), and its 403 echoes the header.
 */
export function createHostGuard(allowedHostnames: readonly string[]): Guard {
  const allowed = new Set(allowedHostnames.map((h) => normaliseHostname(h)));
  return (request) => {
    const header = request.headers.get('host');
    const name = header === null ? null : hostnameOf(header);
    if (name === null || !allowed.has(name)) return forbidden('Forbidden: Host header is not allowed');
    return undefined;
  };
}

/**
 * Requests without Origin (every non-browser client) pass. A present Origin
 * must be an http(s) origin whose hostname is allowed, or match one of
 * `allowedOrigins` exactly; `Origin: null` is refused. Not the SDK's
 * originValidationResponse: it admits any scheme with an allowed hostname
 * (`ftp://localhost`, `ws://localhost`), takes hostnames only (no exact
 * `https://ui.example.com` origin) and echoes the header in its 403.
 */
export function createOriginGuard(allowedHostnames: readonly string[], allowedOrigins: readonly string[] = []): Guard {
  const hosts = new Set(allowedHostnames.map((h) => normaliseHostname(h)));
  const exact = new Set(allowedOrigins.map((o) => o.trim().toLowerCase().replace(/\/+$/, '')));
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null) return undefined;
    const value = origin.trim().toLowerCase();
    if (exact.has(value)) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return forbidden('Forbidden: Origin is not allowed');
    }
    if ((url.protocol === 'http:' || url.protocol === 'https:') && hosts.has(normaliseHostname(url.hostname))) return undefined;
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
