/**
 * Tools, shared by every McpServer instance. Registering each tool on each
 * per-session (legacy) or per-request (modern) McpServer costs ~2 KiB of heap
 * per tool per server, so instead one ToolTable per (catalogue, toolsets,
 * services) holds the registrations — in a never-connected "template"
 * McpServer, so input/output validation and JSON Schemas are exactly the
 * SDK's — and each server gets two small request handlers, tools/list and
 * tools/call, that delegate to it. Behaviour matches McpServer.registerTool:
 * invalid arguments and output are `isError` results, an unknown tool is
 * -32602, and a tool of a disabled toolset is -32602 naming its toolset and
 * how to enable it. tools/list shows only the tools the request's principal
 * has the scope for (ctx.http.authInfo.scopes; everything without AuthInfo).
 */
import { McpServer, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CallToolResult, ServerContext, Tool } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { ToolDefinition } from '../definitions/types.js';
import type { Toolset } from '../contracts/scopes.js';
import type { Services } from '../definitions/host-services.js';
import { scopesOf } from './principal.js';
import { scopeOfTool } from '../contracts/scopes.js';
import type { Scope } from '../contracts/scopes.js';
import { clipBeforeRedaction, clipString } from '../collectors/read.js';
import { redact } from '../redaction/redact.js';
import type { ServedTools } from '../diagnostics/triage-next-steps.js';
import { envelopeSchema } from './envelope.js';
import { runTool } from './run-tool.js';
import { publishedInput } from './host-argument.js';


/** What the SDK keeps per registered tool (McpServer internals, stable across 2.x). */
interface RegisteredTool {
  readonly outputSchemaJson: Record<string, unknown> | undefined;
}

/** The McpServer methods the shared tools/call handler borrows from the template (private in the typings). */
interface TemplateInternals {
  _registeredTools: Record<string, RegisteredTool>;
  toolInputSchemaJson(name: string): Record<string, unknown> | undefined;
  validateToolInput(tool: RegisteredTool, args: unknown, name: string): Promise<unknown>;
  validateToolOutput(tool: RegisteredTool, result: CallToolResult, name: string): Promise<void>;
}

interface ToolEntry {
  tool: ToolDefinition;
  registered: RegisteredTool;
}

interface ToolTable {
  entries: Map<string, ToolEntry>;
  /** Tools of disabled toolsets: name → toolset. */
  disabled: Map<string, Toolset>;
  enabled: readonly Toolset[];
  template: TemplateInternals;
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

const tables = new WeakMap<readonly ToolDefinition[], WeakMap<Services, Map<string, ToolTable>>>();

/** The shared table for this catalogue, services and set of enabled toolsets (built once). */
export function toolTable(tools: readonly ToolDefinition[], toolsets: readonly Toolset[], services: Services): ToolTable {
  let byServices = tables.get(tools);
  if (!byServices) {
    byServices = new WeakMap();
    tables.set(tools, byServices);
  }
  let byToolsets = byServices.get(services);
  if (!byToolsets) {
    byToolsets = new Map();
    byServices.set(services, byToolsets);
  }
  const key = toolsets.join(',');
  const cached = byToolsets.get(key);
  if (cached) return cached;

  const enabled = new Set(toolsets);
  const template = new McpServer({ name: 'hostlens-tool-table', version: '0' }, { capabilities: { tools: {} } });
  const internals = template as unknown as TemplateInternals;
  const entries = new Map<string, ToolEntry>();
  const disabled = new Map<string, Toolset>();
  for (const tool of tools) {
    if (!enabled.has(tool.toolset)) {
      disabled.set(tool.name, tool.toolset);
      continue;
    }
    // The callback is never called: the shared tools/call handler runs the tool itself.
    template.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: publishedInput(tool), outputSchema: outputSchemaOf(tool), annotations: annotationsOf(tool) },
      async () => ({ content: [] }),
    );
    const registered = internals._registeredTools[tool.name];
    if (!registered) throw new Error(`tool ${tool.name} did not register`);
    entries.set(tool.name, { tool, registered });
  }
  const served: ServedTools = new Map([...entries].map(([name, e]) => [name, e.tool.input as z.ZodType]));
  const table: ToolTable = { entries, disabled, enabled: [...toolsets], template: internals, listed: null, visible: new Map(), served };
  byToolsets.set(key, table);
  return table;
}

/** The tools/list entries exactly as McpServer builds them, computed once per table. */
function listTools(table: ToolTable): Tool[] {
  if (table.listed) return table.listed;
  const listed: Tool[] = [];
  for (const [name, { tool, registered }] of table.entries) {
    const outputSchema = registered.outputSchemaJson;
    listed.push({
      name,
      title: tool.title,
      description: tool.description,
      inputSchema: table.template.toolInputSchemaJson(name) as Tool['inputSchema'],
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
      const entry = table.entries.get(t.name);
      return entry !== undefined && scopes.has(scopeOfTool(entry.tool));
    });
    table.visible.set(key, visible);
  }
  return visible;
}

function notFound(table: ToolTable, name: string): ProtocolError {
  const toolset = table.disabled.get(name);
  if (toolset === undefined) return new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${name} not found`);
  const wanted = [...table.enabled, toolset].join(',');
  return new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `Tool ${name} belongs to the "${toolset}" toolset, which is not enabled on this server (enabled: ${table.enabled.join(',')}); start hostlens with --toolsets ${wanted} or HOSTLENS_TOOLSETS=${wanted}`,
  );
}

async function callTool(table: ToolTable, server: McpServer, params: { name: string; arguments?: Record<string, unknown> | undefined }, ctx: ServerContext, services: Services): Promise<CallToolResult> {
  const { name } = params;
  const entry = table.entries.get(name);
  if (!entry) throw notFound(table, name);
  const scope = scopeOfTool(entry.tool);
  // The HTTP layer answers 403 before this; kept so no other path can call beyond its scopes.
  if (!scopesOf(ctx.http?.authInfo).has(scope)) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `Tool ${name} needs the scope ${scope}`);
  try {
    const args = await table.template.validateToolInput(entry.registered, params.arguments, name);
    const result = await runTool(entry.tool, args, ctx, services, table.served);
    await table.template.validateToolOutput(entry.registered, result, name);
    return server.server.projectCallToolResult(result, entry.registered.outputSchemaJson);
  } catch (error) {
    if (error instanceof ProtocolError && error.code === ProtocolErrorCode.UrlElicitationRequired) throw error;
    // Redacted like every result (an argument echoed in a validation or collector message may hold a secret), then
    // bounded: 4 bytes per char at most keeps the text within maxResultBytes. Redaction first, so a clip never
    // leaves half a secret that no longer matches.
    const message = error instanceof Error ? error.message : String(error);
    const text = clipString(redact(clipBeforeRedaction(message, 65_536)).text, Math.floor(services.limits.maxResultBytes / 4) - 32);
    return { content: [{ type: 'text', text }], isError: true };
  }
}

/**
 * Installs tools/list and tools/call on `server` (built with the tools
 * capability), delegating to the shared table.
 */
export function installTools(server: McpServer, table: ToolTable, services: Services): void {
  server.server.setRequestHandler('tools/list', (_request, ctx) => ({ tools: visibleTools(table, scopesOf(ctx.http?.authInfo)) }));
  server.server.setRequestHandler('tools/call', (request, ctx) => callTool(table, server, request.params, ctx, services));
}
