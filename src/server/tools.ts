/**
 * Tools, shared by every McpServer instance. Registering each tool on each
 * per-session (legacy) or per-request (modern) McpServer costs ≈ 1.6 KiB of
 * heap per tool per server (measured, sdk-patches/README.md), so instead one
 * ToolTable per (catalogue, toolsets, services) holds the registrations — in
 * a never-connected "template" McpServer (sdk-patches/tool-registry.ts), so
 * input/output validation and JSON Schemas are exactly the SDK's — and each
 * server gets two small request handlers, tools/list and tools/call, that
 * delegate to it. Behaviour matches McpServer.registerTool:
 * invalid arguments and output are `isError` results, an unknown tool is
 * -32602, and a tool of a disabled toolset is -32602 naming its toolset and
 * how to enable it. tools/list shows only the tools the request's principal
 * has the scope for (ctx.http.authInfo.scopes; everything without AuthInfo).
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CallToolResult, McpServer, ServerContext, Tool } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { ToolDefinition } from '../definitions/types.js';
import type { Toolset } from '../contracts/scopes.js';
import type { Services } from '../definitions/host-services.js';
import { scopesOf } from './principal.js';
import { scopeOfTool } from '../contracts/scopes.js';
import type { Scope } from '../contracts/scopes.js';
import { HostlensError } from '../contracts/errors.js';
import { answeringErrors, toolErrorResult } from './error-mapping.js';
import type { ServedTools } from '../diagnostics/triage-next-steps.js';
import { envelopeSchema } from './envelope.js';
import { compactOutputSchema, withoutDefaultDialect } from './output-schema.js';
import { runTool } from './run-tool.js';
import { createToolRegistry } from './sdk-patches/tool-registry.js';
import type { ToolRegistry } from './sdk-patches/tool-registry.js';
import { publishedInput } from './host-argument.js';
import { perBuildCache } from './per-build-cache.js';
import { servedTools } from '../catalogue/served-tools.js';


interface ToolTable {
  /** The enabled tools by name. */
  entries: Map<string, ToolDefinition>;
  /** Tools of disabled toolsets: name → toolset. */
  disabled: Map<string, Toolset>;
  enabled: readonly Toolset[];
  registry: ToolRegistry;
  /** The tools/list result, built on first use. */
  listed: Tool[] | null;
  /** tools/list results per set of held scopes. */
  visible: Map<string, Tool[]>;
  /** The enabled tools by name with their input schemas (what a result may suggest calling). */
  served: ServedTools;
}

/** Output schemas are built once per tool definition. */
const outputSchemas = new WeakMap<ToolDefinition, z.ZodType>();

function outputSchemaOf(tool: ToolDefinition): z.ZodType {
  let schema = outputSchemas.get(tool);
  if (!schema) {
    schema = envelopeSchema(tool.data);
    outputSchemas.set(tool, schema);
  }
  return schema;
}

function annotationsOf(tool: ToolDefinition) {
  return {
    title: tool.title,
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: tool.annotations?.idempotentHint ?? true,
    openWorldHint: false,
  };
}

const tables = perBuildCache<readonly ToolDefinition[], ToolTable>();

/** The shared table for this catalogue, services and set of enabled toolsets (built once). */
export function toolTable(tools: readonly ToolDefinition[], toolsets: readonly Toolset[], services: Services): ToolTable {
  return tables(tools, services, toolsets, () => buildToolTable(tools, toolsets));
}

function buildToolTable(tools: readonly ToolDefinition[], toolsets: readonly Toolset[]): ToolTable {
  const enabled = new Set(toolsets);
  const registry = createToolRegistry();
  const entries = new Map<string, ToolDefinition>();
  const disabled = new Map<string, Toolset>();
  for (const tool of tools) {
    if (!enabled.has(tool.toolset)) {
      disabled.set(tool.name, tool.toolset);
      continue;
    }
    // What tools/list shows and tools/call projects against is compacted (output-schema.ts); results are still validated with zod.
    registry.register(tool.name, { title: tool.title, description: tool.description, inputSchema: publishedInput(tool), outputSchema: outputSchemaOf(tool), annotations: annotationsOf(tool) }, compactOutputSchema);
    entries.set(tool.name, tool);
  }
  return { entries, disabled, enabled: [...toolsets], registry, listed: null, visible: new Map(), served: servedTools(tools, toolsets) };
}

/** The tools/list entries exactly as McpServer builds them, computed once per table. */
function listTools(table: ToolTable): Tool[] {
  if (table.listed) return table.listed;
  const listed: Tool[] = [];
  for (const [name, tool] of table.entries) {
    const outputSchema = table.registry.listedOutputSchema(name);
    listed.push({
      name,
      title: tool.title,
      description: tool.description,
      // Without the default dialect's URI: 58 bytes of every tool's model-visible part that say nothing (output-schema.ts).
      inputSchema: withoutDefaultDialect(table.registry.listedInputSchema(name) ?? {}) as Tool['inputSchema'],
      annotations: annotationsOf(tool),
      ...(outputSchema ? { outputSchema: outputSchema as Tool['outputSchema'] } : {}),
    });
  }
  table.listed = listed;
  return listed;
}

/** The tools a holder of `scopes` may see and call. */
function visibleTools(table: ToolTable, scopes: ReadonlySet<Scope>): Tool[] {
  const key = [...scopes].sort().join(' ');
  let visible = table.visible.get(key);
  if (!visible) {
    visible = listTools(table).filter((t) => {
      const tool = table.entries.get(t.name);
      return tool !== undefined && scopes.has(scopeOfTool(tool));
    });
    table.visible.set(key, visible);
  }
  return visible;
}

function notFound(table: ToolTable, name: string): HostlensError {
  const toolset = table.disabled.get(name);
  if (toolset === undefined) return new HostlensError('not_found', `Tool ${name} not found`);
  const wanted = [...table.enabled, toolset].join(',');
  return new HostlensError(
    'not_found',
    `Tool ${name} belongs to the "${toolset}" toolset, which is not enabled on this server (enabled: ${table.enabled.join(',')}); start hostlens with --toolsets ${wanted} or HOSTLENS_TOOLSETS=${wanted}`,
  );
}

async function callTool(table: ToolTable, server: McpServer, params: { name: string; arguments?: Record<string, unknown> | undefined }, ctx: ServerContext, services: Services): Promise<CallToolResult> {
  const { name } = params;
  const tool = table.entries.get(name);
  if (!tool) throw notFound(table, name);
  const scope = scopeOfTool(tool);
  // The HTTP layer answers 403 before this; kept so no other path can call beyond its scopes. Not the SDK's
  // requireScopes: it hangs off registerTool's scopeChallenge on the serving McpServer, which holds no tools here.
  if (!scopesOf(ctx.http?.authInfo).has(scope)) throw new HostlensError('forbidden', `Tool ${name} needs the scope ${scope}`);
  try {
    const args = await table.registry.validateInput(name, params.arguments);
    const result = await runTool(tool, args, ctx, services, table.served);
    await table.registry.validateOutput(name, result);
    return server.server.projectCallToolResult(result, table.registry.listedOutputSchema(name));
  } catch (error) {
    if (error instanceof ProtocolError && error.code === ProtocolErrorCode.UrlElicitationRequired) throw error;
    // Redacted and bounded within maxResultBytes like every result (error-mapping.ts).
    return toolErrorResult(name, error, { maxBytes: services.limits.maxResultBytes, ...(services.log ? { log: services.log } : {}) });
  }
}

/**
 * Installs tools/list and tools/call on `server` (built with the tools
 * capability), delegating to the shared table.
 */
export function installTools(server: McpServer, table: ToolTable, services: Services): void {
  server.server.setRequestHandler('tools/list', (_request, ctx) => ({ tools: visibleTools(table, scopesOf(ctx.http?.authInfo)) }));
  server.server.setRequestHandler('tools/call', answeringErrors((request, ctx) => callTool(table, server, request.params, ctx, services), services.log));
}
