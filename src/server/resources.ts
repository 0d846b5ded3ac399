/**
 * Resource registration: static resources and templates, with cache hints for
 * modern clients. Every body is read for the request's principal (its scopes
 * reach the definition, and the definition's declared scoped parts of a JSON
 * body are withheld from it: reader-scope.ts), then redacted (default on; see
 * redact-result.ts).
 */
import type { ServedTools } from '../diagnostics/triage-next-steps.js';
import { ResourceTemplate } from '@modelcontextprotocol/server';
import type { McpServer } from '@modelcontextprotocol/server';
import type { ResourceDefinition, ResourceTemplateDefinition } from '../definitions/types.js';
import type { Services } from '../definitions/host-services.js';
import type { Reader, ScopedPart } from '../contracts/reader.js';
import { filterParts, withheldWarnings } from '../definitions/reader-scope.js';
import { readerOf } from './principal.js';
import { redactResourceText } from './redact-result.js';
import { toProtocolError } from './error-mapping.js';

/** A JSON body without the declared parts this reader may not see; `withheld` lists what went and why. */
function forReader(text: string, mimeType: string, parts: readonly ScopedPart[] | undefined, reader: Reader): string {
  if (!parts || parts.length === 0 || mimeType !== 'application/json') return text;
  const parsed = JSON.parse(text) as unknown;
  const f = filterParts(parsed, parts, reader);
  if (f.withheld.length === 0) return f.value === parsed ? text : JSON.stringify(f.value, null, 2);
  const body = f.value !== null && typeof f.value === 'object' && !Array.isArray(f.value) ? f.value : { value: f.value };
  return JSON.stringify({ ...body, withheld: withheldWarnings(f.withheld) }, null, 2);
}

export function registerResource(server: McpServer, resource: ResourceDefinition, services: Services, served: ServedTools): void {
  server.registerResource(
    resource.name,
    resource.uri,
    {
      title: resource.title,
      description: resource.description,
      mimeType: resource.mimeType,
      cacheHint: { ttlMs: resource.ttlMs, cacheScope: 'private' },
    },
    async (uri, ctx) => {
      const reader = readerOf(ctx?.http?.authInfo);
      const text = forReader(await resource.read(services, reader, served), resource.mimeType, resource.scopedParts, reader);
      return { contents: [{ uri: uri.href, mimeType: resource.mimeType, text: redactResourceText(text, resource.mimeType) }] };
    },
  );
}


/**
 * A resource template: resources/templates/list shows the template, resources/list
 * the concrete members its `list` enumerates, completion/complete its `complete`
 * sources. An unknown member (not_found) answers -32602 with data.uri, the SDK's resource-not-found.
 */
export function registerResourceTemplate(server: McpServer, template: ResourceTemplateDefinition, services: Services): void {
  const complete: Record<string, (value: string) => string[]> = {};
  for (const [variable, source] of Object.entries(template.complete ?? {})) complete[variable] = (value) => source(value ?? '', services);
  const list = template.list;
  server.registerResource(
    template.name,
    new ResourceTemplate(template.uriTemplate, {
      list: list
        ? (ctx) => ({ resources: list(services, readerOf(ctx?.http?.authInfo)).map((r) => ({ ...r, mimeType: template.mimeType })) })
        : undefined,
      complete,
    }),
    {
      title: template.title,
      description: template.description,
      mimeType: template.mimeType,
      cacheHint: { ttlMs: template.ttlMs, cacheScope: 'private' },
    },
    async (uri, variables, ctx) => {
      const vars: Record<string, string> = {};
      for (const [k, v] of Object.entries(variables)) vars[k] = Array.isArray(v) ? v.join('/') : String(v);
      const reader = readerOf(ctx?.http?.authInfo);
      try {
        const text = forReader(await template.read(uri, vars, services, reader), template.mimeType, template.scopedParts, reader);
        return { contents: [{ uri: uri.href, mimeType: template.mimeType, text: redactResourceText(text, template.mimeType) }] };
      } catch (error) {
        throw toProtocolError(error, { uri: uri.href, ...(services.log ? { log: services.log } : {}) });
      }
    },
  );
}
