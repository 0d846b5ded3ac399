/**
 * The steps of the guard pipeline (guards.ts) that judge a POSTed JSON-RPC
 * message before the SDK sees it, each listed by name in app.ts:
 * Content-Type (415), Accept (406), the body's size (413), its shape on the
 * text (400, message-shape.ts), JSON (400 -32700), over-long names and heavy
 * batches (400, 404 for an over-long method), a bounded listen filter
 * (400 -32602), the principal's scopes (403) and batches outside 2025-03-26
 * (400 -32600). A request of another method passes every one of them.
 */
import { isJsonContentType, readRequestBody } from '@modelcontextprotocol/server';
import { HostlensError } from '../contracts/errors.js';
import { httpErrorResponse } from '../server/error-mapping.js';
import { clipEcho, requestIdOf } from '../server/jsonrpc-errors.js';
import type { JsonRpcId } from '../server/jsonrpc-errors.js';
import { batchProblem, bodyShapeProblem, echoProblem } from '../server/message-shape.js';
import type { ShapeRefusal } from '../server/message-shape.js';
import { principalOf } from '../server/principal.js';
import { requiredScopesFor, scopeOfResource } from '../catalogue/scope-index.js';
import type { ScopeIndex } from '../catalogue/scope-index.js';
import type { Scope } from '../contracts/scopes.js';
import { defaultMetadataUrl, forbiddenResponse } from './auth/authenticate.js';
import type { Guard } from './guards.js';
import { listenFilterProblem } from './listen-end.js';
import type { RequestFacts } from './mcp-endpoint.js';

interface McpGuardOptions {
  maxBodyBytes: number;
  /** Scopes of the catalogue's tools and resources; without it only resource URI prefixes need scopes. */
  scopeIndex?: ScopeIndex;
  /** The 403 insufficient_scope answer (default: one naming this origin's metadata URL). */
  forbidden?: (request: Request, needed: readonly Scope[], id?: JsonRpcId, missing?: readonly Scope[]) => Response;
}

interface McpGuards {
  contentType: Guard;
  accept: Guard;
  bodySize: Guard;
  bodyShape: Guard;
  json: Guard;
  messageShape: Guard;
  listenFilter: Guard;
  scope: Guard;
  batchVersion: Guard;
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

/** What the request log and the audit learn from a message (method, tool, resource, prompt, id, arguments). */
function describe(body: unknown, facts: RequestFacts): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const { method, params } = body as { method?: unknown; params?: { name?: unknown } };
  if (typeof method === 'string') facts.rpcMethod = clipEcho(method, 128);
  if (method === 'tools/call' && typeof params?.name === 'string') facts.tool = params.name.slice(0, 128);
  // C (audit): resource, prompt, id and (non-enumerable) arguments.
  const p = params as { uri?: unknown; arguments?: unknown } | undefined;
  if (typeof method === 'string' && method.startsWith('resources/') && typeof p?.uri === 'string') facts.resource = p.uri.slice(0, 1024);
  if (method === 'prompts/get' && typeof params?.name === 'string') facts.prompt = params.name.slice(0, 128);
  const id = (body as { id?: unknown }).id;
  if (typeof id === 'string' || typeof id === 'number') facts.requestId = typeof id === 'string' ? id.slice(0, 256) : id;
  if ((method === 'tools/call' || method === 'prompts/get') && p?.arguments !== undefined) Object.defineProperty(facts, 'args', { value: p.arguments, enumerable: false, configurable: true });
}

function shapeRefusal(problem: ShapeRefusal): Response {
  return httpErrorResponse(new HostlensError(problem.code, problem.message, { data: problem.data }), { id: problem.id });
}

export function createMcpGuards(options: McpGuardOptions): McpGuards {
  const index: ScopeIndex = options.scopeIndex ?? { tool: () => null, resource: scopeOfResource };
  const forbidden =
    options.forbidden ??
    ((request: Request, needed: readonly Scope[], id?: JsonRpcId, missing?: readonly Scope[]) => forbiddenResponse(defaultMetadataUrl(request), needed, id, missing));
  const post = (guard: Guard): Guard => (request, state) => (request.method === 'POST' ? guard(request, state) : undefined);

  return {
    contentType: post((request) =>
      isJsonContentType(request.headers.get('content-type') ?? '')
        ? undefined
        : httpErrorResponse(new HostlensError('unsupported_media_type', 'Unsupported Media Type: Content-Type must be application/json')),
    ),
    accept: post((request) =>
      acceptsMcpResponses(request.headers.get('accept'))
        ? undefined
        : httpErrorResponse(new HostlensError('not_acceptable', 'Not Acceptable: Accept must list both application/json and text/event-stream')),
    ),
    // The SDK's reader: a declared Content-Length over the bound is refused unread, a streamed body as soon as it crosses it.
    bodySize: post(async (request, state) => {
      const read = await readRequestBody(request, options.maxBodyBytes);
      if (!read.tooLarge) {
        state.text = read.text;
        return undefined;
      }
      return httpErrorResponse(new HostlensError('too_large', `Payload Too Large: the request body must not exceed ${options.maxBodyBytes} bytes`), {
        headers: { connection: 'close' },
      });
    }),
    // Depth, width and batch size are bounded on the text, before JSON.parse builds it (message-shape.ts).
    bodyShape: post((_request, state) => {
      const shape = bodyShapeProblem(state.text ?? '');
      if (!shape) return undefined;
      describe({ id: shape.id, method: shape.method, params: { name: shape.name } }, state.facts);
      return shapeRefusal(shape);
    }),
    json: post((_request, state) => {
      try {
        state.body = JSON.parse(state.text ?? '');
      } catch {
        return httpErrorResponse(new HostlensError('parse_error', 'Parse error: the request body is not valid JSON'));
      }
      describe(state.body, state.facts);
      return undefined;
    }),
    messageShape: post((_request, state) => {
      const heavy = batchProblem(state.body) ?? echoProblem(state.body);
      return heavy ? shapeRefusal(heavy) : undefined;
    }),
    // A bounded listen filter: every URI is scope-checked and looked up in the catalogue after this.
    listenFilter: post((_request, state) => {
      const tooMany = state.facts.rpcMethod === 'subscriptions/listen' ? listenFilterProblem(state.body) : null;
      return tooMany ? httpErrorResponse(new HostlensError('invalid_argument', tooMany), { id: requestIdOf(state.body) }) : undefined;
    }),
    scope: post((request, state) => {
      const held = principalOf(state.authInfo).scopes;
      const needed = requiredScopesFor(state.body, index);
      const missing = needed.filter((s) => !held.has(s));
      if (missing.length === 0) return undefined;
      state.facts.missingScopes = missing;
      return forbidden(request, needed, requestIdOf(state.body), missing);
    }),
    // JSON-RPC batches exist only in 2025-03-26 (removed in 2025-06-18; checklist A.8). The SDK routes every batch to the legacy era.
    batchVersion: post((request, state) => {
      const version = request.headers.get('mcp-protocol-version');
      if (!Array.isArray(state.body) || version === null || version.trim() === '2025-03-26') return undefined;
      state.facts.era = 'legacy';
      return httpErrorResponse(
        new HostlensError('invalid_request', `Invalid Request: JSON-RPC batches are not supported in protocol ${version.trim().slice(0, 32)} (removed in 2025-06-18)`),
      );
    }),
  };
}
