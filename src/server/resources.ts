/**
 * Resource registration: static resources and templates, with cache hints for
 * modern clients. Every body is redacted (default on; see redact-result.ts).
 */
import { ResourceNotFoundError, ResourceTemplate } from '@modelcontextprotocol/server';
import type { McpServer } from '@modelcontextprotocol/server';
import { ResourceNotFound } from '../catalogue/types.js';
import type { ResourceDefinition, ResourceTemplateDefinition } from '../catalogue/types.js';
import type { Services } from '../catalogue/services.js';
import { redactResourceText } from './redact-result.js';

export function registerResource(server: McpServer, resource: ResourceDefinition, services: Services): void {
  server.registerResource(
    resource.name,
    resource.uri,
    {
      title: resource.title,
      description: resource.description,
      mimeType: resource.mimeType,
      cacheHint: { ttlMs: resource.ttlMs, cacheScope: 'private' },
    },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: resource.mimeType, text: redactResourceText(await resource.read(services), resource.mimeType) }],
    }),
  );
}


/**
 * A resource template: resources/templates/list shows the template, resources/list
 * the concrete members its `list` enumerates, completion/complete its `complete`
 * sources. An unknown member (ResourceNotFound) answers -32002 with the URI.
 */
export function registerResourceTemplate(server: McpServer, template: ResourceTemplateDefinition, services: Services): void {
  const complete: Record<string, (value: string) => string[]> = {};
  for (const [variable, source] of Object.entries(template.complete ?? {})) complete[variable] = (value) => source(value ?? '', services);
  const list = template.list;
  server.registerResource(
    template.name,
    new ResourceTemplate(template.uriTemplate, {
      list: list
        ? () => ({ resources: list(services).map((r) => ({ ...r, mimeType: template.mimeType })) })
        : undefined,
      complete,
    }),
    {
      title: template.title,
      description: template.description,
      mimeType: template.mimeType,
      cacheHint: { ttlMs: template.ttlMs, cacheScope: 'private' },
    },
    async (uri, variables) => {
      const vars: Record<string, string> = {};
      for (const [k, v] of Object.entries(variables)) vars[k] = Array.isArray(v) ? v.join('/') : String(v);
      try {
        return { contents: [{ uri: uri.href, mimeType: template.mimeType, text: redactResourceText(await template.read(uri, vars, services), template.mimeType) }] };
      } catch (error) {
        if (error instanceof ResourceNotFound) throw new ResourceNotFoundError(uri.href, error.message);
        throw error;
      }
    },
  );
}
