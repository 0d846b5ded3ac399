/**
 * completion/complete for the request's principal: completed values reveal
 * what their source reads (config paths are get_config's, unit names
 * list_services's), so a definition names that source per argument
 * (`completeFrom`, null for a fixed list) and a reader without the source's
 * scope — or without the prompt's or template's own scope — gets no values.
 * A completion without a declared source offers nothing (fails closed).
 */
import type { ServerContext } from '@modelcontextprotocol/server';
import { READ_SCOPE } from '../contracts/scopes.js';
import type { ScopeIndex } from '../catalogue/scope-index.js';
import type { Catalogue } from '../definitions/types.js';
import { readerOf } from './principal.js';

type Fn = (request: { params?: unknown }, ctx: ServerContext | undefined) => Promise<unknown> | unknown;

interface CompleteParams {
  ref?: { type?: unknown; name?: unknown; uri?: unknown };
  argument?: { name?: unknown };
}

const NOTHING = { completion: { values: [], total: 0, hasMore: false } };

/** Whether completing `argument` of `ref` may answer this principal. */
function mayComplete(catalogue: Catalogue, index: ScopeIndex, params: CompleteParams, ctx: ServerContext | undefined): boolean {
  const reader = readerOf(ctx?.http?.authInfo);
  const arg = typeof params.argument?.name === 'string' ? params.argument.name : '';
  let from: Record<string, string | null | undefined> | undefined;
  let completes: boolean;
  if (params.ref?.type === 'ref/prompt') {
    if (!reader.scopes.has(READ_SCOPE)) return false;
    const prompt = catalogue.prompts.find((p) => p.name === params.ref?.name);
    completes = prompt?.complete !== undefined && Object.hasOwn(prompt.complete, arg);
    from = prompt?.completeFrom as Record<string, string | null | undefined> | undefined;
  } else if (params.ref?.type === 'ref/resource' && typeof params.ref.uri === 'string') {
    if (!reader.scopes.has(index.resource(params.ref.uri))) return false;
    const template = (catalogue.templates ?? []).find((t) => t.uriTemplate === params.ref?.uri);
    completes = template?.complete !== undefined && Object.hasOwn(template.complete, arg);
    from = template?.completeFrom;
  } else {
    return true;
  }
  // Nothing to complete: the SDK answers as it would (empty or an error).
  if (!completes) return true;
  const source = from?.[arg];
  if (source === undefined) return false;
  return source === null || reader.may(source);
}

/** Wraps a completion/complete handler so each principal completes only what it may read. */
export function readerScopedCompletion(inner: Fn, catalogue: Catalogue, index: ScopeIndex): Fn {
  return async (request, ctx) => (mayComplete(catalogue, index, (request.params ?? {}) as CompleteParams, ctx) ? inner(request, ctx) : NOTHING);
}
