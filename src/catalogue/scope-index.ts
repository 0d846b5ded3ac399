/**
 * Per-toolset scopes. A tool's scope is a declarative fact of its definition
 * (`scope`), else its toolset's default; a resource's is its definition's
 * `scope`, else a URI prefix rule (config files, admin resources), else
 * hostlens:read. `requiredScopesFor` tells what a JSON-RPC request needs
 * beyond authentication: the HTTP layer answers 403 insufficient_scope when
 * the principal lacks one of them.
 */
import type { ResourceDefinition, ResourceTemplateDefinition, ToolDefinition } from '../definitions/types.js';
import { READ_SCOPE, scopeOfTool } from '../contracts/scopes.js';
import type { Scope, Toolset } from '../contracts/scopes.js';

/** URI prefixes whose resources need more than hostlens:read, whatever defines them. */
const RESOURCE_PREFIX_SCOPES: ReadonlyArray<readonly [string, Scope]> = [
  ['diag://local/config/', 'hostlens:config'],
  ['diag://admin/', 'hostlens:admin'],
];

/**
 * A URI as given and as the SDK resolves it before matching resources and
 * templates (`new URL(uri).href`: surrounding spaces and any tab or newline
 * dropped, the scheme lower-cased, dot segments resolved). A scope is decided
 * on both, so no spelling reaches a resource with a weaker scope.
 */
function uriSpellings(uri: string): string[] {
  try {
    const href = new URL(uri).href;
    return href === uri ? [uri] : [uri, href];
  } catch {
    return [uri];
  }
}

/** The first scope other than hostlens:read among `scopes`, else hostlens:read. */
function strictest(scopes: Iterable<Scope>): Scope {
  for (const scope of scopes) if (scope !== READ_SCOPE) return scope;
  return READ_SCOPE;
}

/** The scope of a resource URI (or URI template) by prefix alone. */
export function scopeOfResource(uri: string): Scope {
  return strictest(
    uriSpellings(uri).map((form) => RESOURCE_PREFIX_SCOPES.find(([prefix]) => form.startsWith(prefix))?.[1] ?? READ_SCOPE),
  );
}

/** What `requiredScopesFor` needs to know about the catalogue being served. */
export interface ScopeIndex {
  /** The scope of an enabled tool; null for an unknown or disabled one (the SDK answers -32602). */
  tool(name: string): Scope | null;
  /** The scope of a resource URI or of a template's URI template. */
  resource(uri: string): Scope;
}

interface IndexSource {
  tools: readonly ToolDefinition[];
  resources: readonly ResourceDefinition[];
  templates?: readonly ResourceTemplateDefinition[];
}

/** The literal part of an RFC 6570 template before its first expression. */
function templatePrefix(uriTemplate: string): string {
  const brace = uriTemplate.indexOf('{');
  return brace < 0 ? uriTemplate : uriTemplate.slice(0, brace);
}

/** A ScopeIndex over a catalogue; tools outside `toolsets` (when given) count as unknown. */
export function scopeIndex(catalogue: IndexSource, toolsets?: readonly Toolset[]): ScopeIndex {
  const enabled = toolsets ? new Set(toolsets) : null;
  const tools = new Map<string, Scope>();
  for (const t of catalogue.tools) if (!enabled || enabled.has(t.toolset)) tools.set(t.name, scopeOfTool(t));
  const exact = new Map<string, Scope>();
  for (const r of catalogue.resources) if (r.scope) exact.set(r.uri, r.scope);
  const prefixes: Array<[string, Scope]> = [];
  for (const t of catalogue.templates ?? []) {
    if (!t.scope) continue;
    exact.set(t.uriTemplate, t.scope);
    const prefix = templatePrefix(t.uriTemplate);
    if (prefix !== '') prefixes.push([prefix, t.scope]);
  }
  return {
    tool: (name) => tools.get(name) ?? null,
    resource(uri) {
      const declared = uriSpellings(uri).map((form) => exact.get(form) ?? prefixes.find(([p]) => form.startsWith(p))?.[1] ?? READ_SCOPE);
      // A prefix rule cannot be loosened by a definition.
      return strictest([...declared, scopeOfResource(uri)]);
    },
  };
}

function resourceUrisOf(method: string, params: Record<string, unknown>): string[] {
  if (method === 'resources/read' || method === 'resources/subscribe' || method === 'resources/unsubscribe') {
    return typeof params.uri === 'string' ? [params.uri] : [];
  }
  if (method === 'subscriptions/listen') {
    const notifications = params.notifications as { resourceSubscriptions?: unknown } | undefined;
    const list = notifications?.resourceSubscriptions;
    // Every URI (the endpoint caps the list at MAX_LISTEN_URIS distinct ones before this runs).
    return Array.isArray(list) ? [...new Set(list.filter((u): u is string => typeof u === 'string'))] : [];
  }
  if (method === 'completion/complete') {
    const ref = params.ref as { type?: unknown; uri?: unknown } | undefined;
    return ref?.type === 'ref/resource' && typeof ref.uri === 'string' ? [ref.uri] : [];
  }
  return [];
}

/**
 * The scopes one JSON-RPC message (or each message of a batch) needs beyond
 * authentication: tools/call → the tool's scope (nothing for an unknown or
 * disabled tool), resources/read|subscribe|unsubscribe and
 * subscriptions/listen → each URI's scope, completion/complete on a resource
 * template → the template's, prompts/get and completion on a prompt →
 * hostlens:read; everything else
 * (initialize, lists, ping, notifications, responses) → none.
 */
export function requiredScopesFor(body: unknown, index: ScopeIndex): Scope[] {
  const needed = new Set<Scope>();
  const messages = Array.isArray(body) ? body : [body];
  for (const message of messages) {
    if (message === null || typeof message !== 'object' || Array.isArray(message)) continue;
    const { method, params: rawParams } = message as { method?: unknown; params?: unknown };
    if (typeof method !== 'string') continue;
    const params = rawParams !== null && typeof rawParams === 'object' && !Array.isArray(rawParams) ? (rawParams as Record<string, unknown>) : {};
    if (method === 'tools/call') {
      const scope = typeof params.name === 'string' ? index.tool(params.name) : null;
      if (scope) needed.add(scope);
    } else if (method === 'prompts/get' || (method === 'completion/complete' && (params.ref as { type?: unknown } | undefined)?.type === 'ref/prompt')) {
      needed.add(READ_SCOPE);
    } else {
      for (const uri of resourceUrisOf(method, params)) needed.add(index.resource(uri));
    }
  }
  return [...needed];
}

/** The first scope `requiredScopesFor` names for a single request, or null when it needs none. */
export function requiredScopeFor(body: unknown, index: ScopeIndex): Scope | null {
  return requiredScopesFor(body, index)[0] ?? null;
}
