/**
 * The /mcp endpoint once the guard pipeline (guards.ts, app.ts) has let a
 * request through: era routing. Requests that claim the 2026-07-28
 * per-request envelope (and every malformed variant of that claim) go to the
 * SDK's stateless modern handler; initialize and 2025-era traffic go to the
 * legacy session manager. The classification is the SDK's own, so routing
 * never disagrees with the SDK. A POST arrives here read, parsed and judged
 * (mcp-guards.ts).
 */
import { createHash } from 'node:crypto';
import { classifyInboundRequest, createMcpHandler } from '@modelcontextprotocol/server';
import type { McpHttpHandler, ServerEventBus } from '@modelcontextprotocol/server';
import { HostlensError } from '../contracts/errors.js';
import { httpErrorResponse } from '../server/error-mapping.js';
import { clipErrorResponse, requestIdOf } from '../server/jsonrpc-errors.js';
import type { RequestState } from './guards.js';
import { narrowListenFilter, withListenTeardown } from './listen-end.js';
import type { McpFactory, SessionManager } from './sessions/manager.js';

const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** What the endpoint learned about a request, for the request log. */
export interface RequestFacts {
  era?: 'legacy' | 'modern';
  rpcMethod?: string;
  tool?: string;
  /** A short digest of Mcp-Session-Id: correlates log lines without exposing a usable id. */
  sessionRef?: string;
  /** Who made the request (Principal.id: 'anonymous', 'static:<name>', 'oauth:<iss>#<sub>'), set after authentication. */
  principal?: string;
  /** The scopes a refused (403) request lacked. */
  missingScopes?: string[];
  /** Why authentication refused the request (the OAuth error code, or missing_token). */
  authError?: string;
  // What the request named, for the audit line (telemetry.ts).
  /** resources/read|subscribe|unsubscribe: the URI (clipped). */
  resource?: string;
  /** prompts/get: the prompt name. */
  prompt?: string;
  /** The JSON-RPC id. */
  requestId?: string | number;
  /** tools/call and prompts/get arguments, raw: non-enumerable, so the request log (…facts) never shows them; the audit redacts them. */
  args?: unknown;
}

interface McpEndpointOptions {
  factory: McpFactory;
  sessions: SessionManager;
  /** Carries subscriptions/listen change events between replicas (the session store's bus). */
  bus?: ServerEventBus;
  /** The modern handler's own body bound (the guards read the body first, with the same bound). */
  maxBodyBytes: number;
  keepAliveMs?: number;
  /** Open subscriptions/listen streams at most; one more is refused in band with -32603 (SDK). */
  maxSubscriptions?: number;
  /** Whether a URI names a resource: subscriptions/listen acknowledges (and honours) only those. */
  resourceExists?: (uri: string) => boolean;
  onerror?: (error: Error) => void;
}

/** Default cap on concurrently open subscriptions/listen streams. */
export const DEFAULT_MAX_LISTEN_STREAMS = 64;

interface McpEndpoint {
  /** Serves a request every guard let through. */
  handle(request: Request, state: RequestState): Promise<Response>;
  close(): Promise<void>;
  notify: McpHttpHandler['notify'];
}

/** Digests of recent session ids: every legacy request logs one, and hashing each time cost ≈ 1 % of a request. */
const refs = new Map<string, string>();

export function sessionRef(sessionId: string): string {
  let ref = refs.get(sessionId);
  if (ref === undefined) {
    ref = createHash('sha256').update(sessionId).digest('hex').slice(0, 12);
    if (sessionId.length > 64) return ref; // not one of ours: never kept
    if (refs.size >= 1_024) refs.delete(refs.keys().next().value as string);
    refs.set(sessionId, ref);
  }
  return ref;
}

function isModernVersion(version: string | null): boolean {
  return version !== null && version.trim() >= MODERN_PROTOCOL_VERSION;
}

export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  const modern = createMcpHandler((ctx) => options.factory({ era: ctx.era }), {
    legacy: 'reject',
    maxRequestBodySize: options.maxBodyBytes,
    maxSubscriptions: options.maxSubscriptions ?? DEFAULT_MAX_LISTEN_STREAMS,
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    ...(options.onerror ? { onerror: options.onerror } : {}),
  });

  const post = async (request: Request, state: RequestState): Promise<Response> => {
    const { facts, authInfo, body } = state;
    const route = classifyInboundRequest({
      httpMethod: 'POST',
      body,
      ...headerFields(request),
    });
    if (route.kind === 'legacy') {
      facts.era = 'legacy';
      const sid = request.headers.get('mcp-session-id');
      if (sid !== null) facts.sessionRef = sessionRef(sid);
      return options.sessions.handle(request, body, authInfo);
    }
    facts.era = 'modern';
    if (facts.rpcMethod !== 'subscriptions/listen') return modern.fetch(request, { parsedBody: body, ...(authInfo ? { authInfo } : {}) });
    const filtered = options.resourceExists ? narrowListenFilter(body, options.resourceExists) : body;
    const response = await modern.fetch(request, { parsedBody: filtered, ...(authInfo ? { authInfo } : {}) });
    return withListenTeardown(response, requestIdOf(body));
  };

  return {
    async handle(request, state) {
      const { facts, authInfo } = state;
      // Error bodies the SDK builds echo header and body values: clipped here (jsonrpc-errors.ts).
      if (request.method === 'POST') return clipErrorResponse(await post(request, state));
      if (request.method === 'GET' || request.method === 'DELETE') {
        const sid = request.headers.get('mcp-session-id');
        if (sid === null && isModernVersion(request.headers.get('mcp-protocol-version'))) {
          facts.era = 'modern';
          return httpErrorResponse(new HostlensError('method_not_allowed', `Method Not Allowed: protocol ${MODERN_PROTOCOL_VERSION} uses POST only`), {
            headers: { allow: 'POST' },
          });
        }
        facts.era = 'legacy';
        if (sid !== null) facts.sessionRef = sessionRef(sid);
        return clipErrorResponse(await options.sessions.handle(request, undefined, authInfo));
      }
      return httpErrorResponse(new HostlensError('method_not_allowed', 'Method Not Allowed'), { headers: { allow: 'GET, POST, DELETE' } });
    },
    close: () => modern.close(),
    notify: modern.notify,
  };
}

function headerFields(request: Request): { protocolVersionHeader?: string; mcpMethodHeader?: string; mcpNameHeader?: string } {
  const out: { protocolVersionHeader?: string; mcpMethodHeader?: string; mcpNameHeader?: string } = {};
  const version = request.headers.get('mcp-protocol-version');
  const method = request.headers.get('mcp-method');
  const name = request.headers.get('mcp-name');
  if (version !== null) out.protocolVersionHeader = version;
  if (method !== null) out.mcpMethodHeader = method;
  if (name !== null) out.mcpNameHeader = name;
  return out;
}
