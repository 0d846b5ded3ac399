/**
 * Prompts and resources, shared by every McpServer instance. Registering them
 * per session costs ≈ 15 KiB of heap per session (registry entries, closures,
 * completion wiring; measured, sdk-patches/README.md), so they are registered
 * once per (catalogue, services) on a never-connected "template" McpServer
 * whose request handlers are captured as the SDK builds them
 * (sdk-patches/handler-capture.ts), and every server built afterwards installs
 * those same handlers (prompts/list, prompts/get, resources/list,
 * resources/templates/list, resources/read, completion/complete). The
 * handlers read only the template's registries and the per-request context
 * they are given, so behaviour is exactly McpServer's; each server's own
 * protocol layer still validates, encodes and attaches cache hints per era.
 * resources/list and resources/templates/list show only what the request's
 * principal has the scope for (ctx.http.authInfo; everything without one),
 * resources/read refuses the rest (the HTTP layer answers 403 first), and
 * prompts/list is empty without hostlens:read.
 */
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { scopesOf } from './principal.js';
import { scopeIndex } from '../catalogue/scope-index.js';
import { READ_SCOPE } from '../contracts/scopes.js';
import { HostlensError } from '../contracts/errors.js';
import { answeringErrors } from './error-mapping.js';
import type { ScopeIndex } from '../catalogue/scope-index.js';
import type { Services } from '../definitions/host-services.js';
import type { Catalogue } from '../definitions/types.js';
import type { Toolset } from '../contracts/scopes.js';
import { servedTools } from '../catalogue/served-tools.js';
import { perBuildCache } from './per-build-cache.js';
import { registerPrompt } from './prompts.js';
import { readerScopedCompletion } from './reader-completions.js';
import { registerResource, registerResourceTemplate } from './resources.js';
import { captureRequestHandlers } from './sdk-patches/handler-capture.js';
import type { Handler, Method } from './sdk-patches/handler-capture.js';

/** The methods whose handlers are shared; the tool methods have their own table (tools.ts). */
const SHARED_METHODS = new Set(['prompts/list', 'prompts/get', 'resources/list', 'resources/templates/list', 'resources/read', 'completion/complete']);
const RESOURCE_METHODS = ['resources/list', 'resources/templates/list', 'resources/read'];
const PROMPT_METHODS = ['prompts/list', 'prompts/get'];

const shared = perBuildCache<Catalogue, Map<Method, Handler>>();

/** The captured handlers for this catalogue, services and set of enabled toolsets (registered once). */
export function sharedHandlers(catalogue: Catalogue, services: Services, toolsets: readonly Toolset[]): Map<Method, Handler> {
  return shared(catalogue, services, toolsets, () => captureShared(catalogue, services, toolsets));
}

function captureShared(catalogue: Catalogue, services: Services, toolsets: readonly Toolset[]): Map<Method, Handler> {
  const served = servedTools(catalogue.tools, toolsets);

  // The register* calls install (lazily) exactly the handlers this catalogue needs.
  const required = new Set([
    ...(catalogue.resources.length > 0 || (catalogue.templates ?? []).length > 0 ? RESOURCE_METHODS : []),
    ...(catalogue.prompts.length > 0 ? PROMPT_METHODS : []),
  ]);
  const handlers = captureRequestHandlers(
    (template) => {
      for (const resource of catalogue.resources) registerResource(template, resource, services, served);
      for (const t of catalogue.templates ?? []) registerResourceTemplate(template, t, services);
      for (const prompt of catalogue.prompts) registerPrompt(template, prompt, services);
    },
    SHARED_METHODS,
    required,
  );
  const index = scopeIndex(catalogue);
  scopeFiltered(handlers, index);
  const complete = handlers.get('completion/complete');
  if (typeof complete === 'function') handlers.set('completion/complete', readerScopedCompletion(complete as never, catalogue, index) as unknown as Handler);
  // Whatever a prompt, resource or completion throws is answered through error-mapping.ts.
  for (const [method, handler] of handlers) handlers.set(method, answeringErrors(handler as never, services.log) as unknown as Handler);
  return handlers;
}

type Listed = { resources?: Array<{ uri: string }>; resourceTemplates?: Array<{ uriTemplate: string }> };
type Fn = (request: { params?: { uri?: unknown } }, ctx: ServerContext | undefined) => Promise<unknown> | unknown;

/** Wraps the resource handlers so a principal sees and reads only resources within its scopes. */
function scopeFiltered(handlers: Map<Method, Handler>, index: ScopeIndex): void {
  const wrap = (method: Method, around: (inner: Fn) => Fn): void => {
    const inner = handlers.get(method);
    if (typeof inner === 'function') handlers.set(method, around(inner as unknown as Fn) as unknown as Handler);
  };
  const held = (ctx: ServerContext | undefined) => scopesOf(ctx?.http?.authInfo);
  wrap('resources/list', (inner) => async (request, ctx) => {
    const result = (await inner(request, ctx)) as Listed;
    return { ...result, resources: (result.resources ?? []).filter((r) => held(ctx).has(index.resource(r.uri))) };
  });
  wrap('resources/templates/list', (inner) => async (request, ctx) => {
    const result = (await inner(request, ctx)) as Listed;
    return { ...result, resourceTemplates: (result.resourceTemplates ?? []).filter((t) => held(ctx).has(index.resource(t.uriTemplate))) };
  });
  // Prompts need hostlens:read (prompts/get is refused with 403 by the HTTP layer; the list is empty without it).
  wrap('prompts/list', (inner) => async (request, ctx) => (held(ctx).has(READ_SCOPE) ? inner(request, ctx) : { prompts: [] }));
  wrap('resources/read', (inner) => async (request, ctx) => {
    const uri = String(request.params?.uri ?? '');
    const scope = index.resource(uri);
    if (!held(ctx).has(scope)) throw new HostlensError('forbidden', `Resource ${uri.slice(0, 200)} needs the scope ${scope}`);
    return inner(request, ctx);
  });
}

/** Installs the shared prompt, resource and completion handlers on a server built with those capabilities. */
export function installShared(server: McpServer, handlers: Map<Method, Handler>): void {
  for (const [method, handler] of handlers) server.server.setRequestHandler(method as never, handler as never);
}
