/**
 * The /mcp endpoint: HTTP-level checks (415, 406, 413, -32700), then era
 * routing. Requests that claim the 2026-07-28 per-request envelope (and every
 * malformed variant of that claim) go to the SDK's stateless modern handler;
 * initialize and 2025-era traffic go to the legacy session manager. The
 * classification is the SDK's own, so routing never disagrees with the SDK.
 */
import { createHash } from 'node:crypto';
import { classifyInboundRequest, createMcpHandler, isJsonContentType } from '@modelcontextprotocol/server';
import type { AuthInfo, McpHttpHandler } from '@modelcontextprotocol/server';
import { jsonRpcError, JSONRPC_PARSE_ERROR, requestIdOf, TRANSPORT_ERROR } from './errors.js';
import { narrowListenFilter, withListenTeardown } from './listen-end.js';
import type { McpFactory, SessionManager } from './sessions.js';

export const LEGACY_PROTOCOL_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26'];
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** What the endpoint learned about a request, for the request log. */
export interface RequestFacts {
  era?: 'legacy' | 'modern';
  rpcMethod?: string;
  tool?: string;
  /** A short digest of Mcp-Session-Id: correlates log lines without exposing a usable id. */
  sessionRef?: string;
}

export interface McpEndpointOptions {
  factory: McpFactory;
  sessions: SessionManager;
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

export interface McpEndpoint {
  handle(request: Request, facts: RequestFacts, authInfo?: AuthInfo): Promise<Response>;
  close(): Promise<void>;
  notify: McpHttpHandler['notify'];
}

class BodyTooLarge extends Error {}

async function readBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Accept must admit both JSON and SSE (wildcards count). */
export function acceptsMcpResponses(accept: string | null): boolean {
  if (accept === null) return false;
  const types = accept.split(',').map((part) => (part.split(';')[0] ?? '').trim().toLowerCase());
  const admits = (type: string): boolean => {
    const [major] = type.split('/');
    return types.some((t) => t === type || t === '*/*' || t === `${major}/*`);
  };
  return admits('application/json') && admits('text/event-stream');
}

export function sessionRef(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex').slice(0, 12);
}

function isModernVersion(version: string | null): boolean {
  return version !== null && version.trim() >= MODERN_PROTOCOL_VERSION;
}

function describe(body: unknown, facts: RequestFacts): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const { method, params } = body as { method?: unknown; params?: { name?: unknown } };
  if (typeof method === 'string') facts.rpcMethod = method;
  if (method === 'tools/call' && typeof params?.name === 'string') facts.tool = params.name.slice(0, 128);
}

export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  const modern = createMcpHandler((ctx) => options.factory({ era: ctx.era }), {
    legacy: 'reject',
    maxRequestBodySize: options.maxBodyBytes,
    maxSubscriptions: options.maxSubscriptions ?? DEFAULT_MAX_LISTEN_STREAMS,
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    ...(options.onerror ? { onerror: options.onerror } : {}),
  });

  const post = async (request: Request, facts: RequestFacts, authInfo?: AuthInfo): Promise<Response> => {
    if (!isJsonContentType(request.headers.get('content-type') ?? '')) {
      return jsonRpcError(415, TRANSPORT_ERROR, 'Unsupported Media Type: Content-Type must be application/json');
    }
    if (!acceptsMcpResponses(request.headers.get('accept'))) {
      return jsonRpcError(406, TRANSPORT_ERROR, 'Not Acceptable: Accept must list both application/json and text/event-stream');
    }
    let text: string;
    try {
      text = await readBody(request, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return jsonRpcError(413, TRANSPORT_ERROR, `Payload Too Large: the request body must not exceed ${options.maxBodyBytes} bytes`, {
          headers: { connection: 'close' },
        });
      }
      throw error;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return jsonRpcError(400, JSONRPC_PARSE_ERROR, 'Parse error: the request body is not valid JSON');
    }
    describe(body, facts);
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
    async handle(request, facts, authInfo) {
      if (request.method === 'POST') return post(request, facts, authInfo);
      if (request.method === 'GET' || request.method === 'DELETE') {
        const sid = request.headers.get('mcp-session-id');
        if (sid === null && isModernVersion(request.headers.get('mcp-protocol-version'))) {
          facts.era = 'modern';
          return jsonRpcError(405, TRANSPORT_ERROR, `Method Not Allowed: protocol ${MODERN_PROTOCOL_VERSION} uses POST only`, {
            headers: { allow: 'POST' },
          });
        }
        facts.era = 'legacy';
        if (sid !== null) facts.sessionRef = sessionRef(sid);
        return options.sessions.handle(request, undefined, authInfo);
      }
      return jsonRpcError(405, TRANSPORT_ERROR, 'Method Not Allowed', { headers: { allow: 'GET, POST, DELETE' } });
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
