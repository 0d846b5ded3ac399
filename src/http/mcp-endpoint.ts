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
import { defaultMetadataUrl, forbiddenResponse } from './auth/authenticate.js';
import { principalOf } from '../server/principal.js';
import { requiredScopesFor, scopeOfResource } from '../catalogue/scope-index.js';
import type { ScopeIndex } from '../catalogue/scope-index.js';
import type { Scope } from '../contracts/scopes.js';
import { clipEcho, clipErrorResponse, jsonRpcError, JSONRPC_INVALID_PARAMS, JSONRPC_INVALID_REQUEST, JSONRPC_PARSE_ERROR, requestIdOf, TRANSPORT_ERROR } from '../server/jsonrpc-errors.js';
import type { JsonRpcId } from '../server/jsonrpc-errors.js';
import { listenFilterProblem, narrowListenFilter, withListenTeardown } from './listen-end.js';
import { batchProblem, bodyShapeProblem, echoProblem } from '../server/message-shape.js';
import { readBounded } from './read-bounded.js';
import type { McpFactory, SessionManager } from './sessions.js';

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
  maxBodyBytes: number;
  keepAliveMs?: number;
  /** Open subscriptions/listen streams at most; one more is refused in band with -32603 (SDK). */
  maxSubscriptions?: number;
  /** Whether a URI names a resource: subscriptions/listen acknowledges (and honours) only those. */
  resourceExists?: (uri: string) => boolean;
  /** Scopes of the catalogue's tools and resources; without it only resource URI prefixes need scopes. */
  scopeIndex?: ScopeIndex;
  /** The 403 insufficient_scope answer (default: one naming this origin's metadata URL). */
  forbidden?: (request: Request, needed: readonly Scope[], id?: JsonRpcId, missing?: readonly Scope[]) => Response;
  /** Admits a parsed POST body or refuses it (the stream cap's 429, stream-cap.ts). */
  admit?: (request: Request, facts: RequestFacts, body: unknown) => Response | undefined;
  onerror?: (error: Error) => void;
}

/** Default cap on concurrently open subscriptions/listen streams. */
export const DEFAULT_MAX_LISTEN_STREAMS = 64;

interface McpEndpoint {
  handle(request: Request, facts: RequestFacts, authInfo?: AuthInfo): Promise<Response>;
  close(): Promise<void>;
  notify: McpHttpHandler['notify'];
}

class BodyTooLarge extends Error {}

async function readBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  const text = await readBounded(request.body, limit);
  if (text === null) throw new BodyTooLarge();
  return text;
}

/** Accept must admit both JSON and SSE (wildcards count). */
function acceptsMcpResponses(accept: string | null): boolean {
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
  if (typeof method === 'string') facts.rpcMethod = clipEcho(method, 128);
  if (method === 'tools/call' && typeof params?.name === 'string') facts.tool = params.name.slice(0, 128);
  // For the audit line: resource, prompt, id and (non-enumerable) arguments.
  const p = params as { uri?: unknown; arguments?: unknown } | undefined;
  if (typeof method === 'string' && method.startsWith('resources/') && typeof p?.uri === 'string') facts.resource = p.uri.slice(0, 1024);
  if (method === 'prompts/get' && typeof params?.name === 'string') facts.prompt = params.name.slice(0, 128);
  const id = (body as { id?: unknown }).id;
  if (typeof id === 'string' || typeof id === 'number') facts.requestId = typeof id === 'string' ? id.slice(0, 256) : id;
  if ((method === 'tools/call' || method === 'prompts/get') && p?.arguments !== undefined) Object.defineProperty(facts, 'args', { value: p.arguments, enumerable: false, configurable: true });
}

export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  const modern = createMcpHandler((ctx) => options.factory({ era: ctx.era }), {
    legacy: 'reject',
    maxRequestBodySize: options.maxBodyBytes,
    maxSubscriptions: options.maxSubscriptions ?? DEFAULT_MAX_LISTEN_STREAMS,
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    ...(options.onerror ? { onerror: options.onerror } : {}),
  });

  const index: ScopeIndex = options.scopeIndex ?? { tool: () => null, resource: scopeOfResource };
  const forbidden =
    options.forbidden ??
    ((request: Request, needed: readonly Scope[], id?: JsonRpcId, missing?: readonly Scope[]) => forbiddenResponse(defaultMetadataUrl(request), needed, id, missing));
  /** The scopes `body` needs, and those of them the request's principal lacks. */
  const scopeCheck = (body: unknown, authInfo?: AuthInfo): { needed: Scope[]; missing: Scope[] } => {
    const held = principalOf(authInfo).scopes;
    const needed = requiredScopesFor(body, index);
    return { needed, missing: needed.filter((s) => !held.has(s)) };
  };

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
    // Depth, width and batch size are bounded on the text, before JSON.parse builds it (body-shape.ts).
    const shape = bodyShapeProblem(text);
    if (shape) {
      describe({ id: shape.id, method: shape.method, params: { name: shape.name } }, facts);
      return jsonRpcError(400, shape.code, shape.message, { id: shape.id });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return jsonRpcError(400, JSONRPC_PARSE_ERROR, 'Parse error: the request body is not valid JSON');
    }
    describe(body, facts);
    const heavy = batchProblem(body) ?? echoProblem(body);
    if (heavy) return jsonRpcError(heavy.status ?? 400, heavy.code, heavy.message, { id: heavy.id, data: heavy.data });
    // A bounded listen filter: every URI is scope-checked and looked up in the catalogue below.
    const tooMany = facts.rpcMethod === 'subscriptions/listen' ? listenFilterProblem(body) : null;
    if (tooMany) return jsonRpcError(400, JSONRPC_INVALID_PARAMS, tooMany, { id: requestIdOf(body) });
    const { needed, missing } = scopeCheck(body, authInfo);
    if (missing.length > 0) {
      facts.missingScopes = missing;
      return forbidden(request, needed, requestIdOf(body), missing);
    }
    const refused = options.admit?.(request, facts, body);
    if (refused) return refused;
    const route = classifyInboundRequest({
      httpMethod: 'POST',
      body,
      ...headerFields(request),
    });
    if (route.kind === 'legacy') {
      facts.era = 'legacy';
      // JSON-RPC batches exist only in 2025-03-26 (removed in 2025-06-18; checklist A.8).
      const version = request.headers.get('mcp-protocol-version');
      if (Array.isArray(body) && version !== null && version.trim() !== '2025-03-26') {
        return jsonRpcError(400, JSONRPC_INVALID_REQUEST, `Invalid Request: JSON-RPC batches are not supported in protocol ${version.trim().slice(0, 32)} (removed in 2025-06-18)`);
      }
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
      // Error bodies the SDK builds echo header and body values: clipped here (errors.ts).
      if (request.method === 'POST') return clipErrorResponse(await post(request, facts, authInfo));
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
        return clipErrorResponse(await options.sessions.handle(request, undefined, authInfo));
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
