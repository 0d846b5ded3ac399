/**
 * Builds an McpServer from the catalogue. `server/` is the only layer that
 * knows both the SDK and the definitions; this file assembles one server from
 * the tool (tools.ts), resource (resources.ts) and prompt (prompts.ts)
 * registrations.
 */
import { McpServer } from '@modelcontextprotocol/server';
import type { Catalogue } from '../definitions/types.js';
import type { Toolset } from '../contracts/scopes.js';
import type { Services } from '../definitions/host-services.js';
import { invalidParamsForMalformedRequests } from './params-errors.js';
import { installShared, sharedHandlers } from './shared.js';
import { enableResourceSubscriptions } from './subscriptions.js';
import type { SubscriptionSink } from './subscriptions.js';
import { installTools, toolTable } from './tools.js';
import { registerReadings } from '../definitions/reader-scope.js';


interface BuildServerOptions {
  catalogue: Catalogue;
  services: Services;
  toolsets: readonly Toolset[];
  name: string;
  version: string;
  instructions?: string;
  /** Where a legacy session's resources/subscribe URIs are kept (the HTTP session store); default: with this server. */
  subscriptions?: SubscriptionSink;
}

const LIST_TTL_MS = 60_000;

export function buildServer(options: BuildServerOptions): McpServer {
  const { services } = options;
  // Readings embedded in results are judged by the served definitions' scopes (reader-scope.ts).
  registerReadings(options.catalogue.tools);
  const server = new McpServer(
    { name: options.name, version: options.version, title: 'hostlens' },
    {
      capabilities: { tools: {}, resources: { subscribe: true }, prompts: {}, completions: {}, logging: {} },
      ...(options.instructions ? { instructions: options.instructions } : {}),
      cacheHints: {
        'tools/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
        'prompts/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
        'resources/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
        'resources/templates/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
      },
    },
  );
  // Before any handler is installed: malformed params of spec requests are -32602, not -32603 (params-errors.ts).
  invalidParamsForMalformedRequests(server);
  // Tool registrations are shared by every server built for this catalogue (see tools.ts).
  installTools(server, toolTable(options.catalogue.tools, options.toolsets, services), services);
  // So are the prompt, resource and completion handlers (see shared.ts).
  installShared(server, sharedHandlers(options.catalogue, services, options.toolsets));
  enableResourceSubscriptions(server, options.catalogue, services, options.subscriptions);
  return server;
}
