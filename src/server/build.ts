/**
 * Builds an McpServer from the catalogue. This is the only place that knows
 * both the SDK and the definitions: it wraps each tool's `data` schema in the
 * standard envelope, turns handler results into structuredContent plus a text
 * rendering, maps failures to `isError` results (never a stack trace), wires
 * progress and cancellation, and registers resources and prompts with cache
 * hints and completions.
 */
import { completable, McpServer, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { PromptDefinition, ResourceDefinition, ToolDefinition, ToolOutput, Toolset } from '../catalogue/types.js';
import { ToolError } from '../catalogue/types.js';
import type { Services } from '../catalogue/services.js';
import { envelopeSchema } from './envelope.js';

export interface Catalogue {
  tools: readonly ToolDefinition[];
  resources: readonly ResourceDefinition[];
  prompts: readonly PromptDefinition[];
}

export interface BuildServerOptions {
  catalogue: Catalogue;
  services: Services;
  toolsets: readonly Toolset[];
  name: string;
  version: string;
  instructions?: string;
}

const LIST_TTL_MS = 60_000;

export function buildServer(options: BuildServerOptions): McpServer {
  const { services } = options;
  const server = new McpServer(
    { name: options.name, version: options.version, title: 'hostlens' },
    {
      capabilities: { tools: {}, resources: { subscribe: false }, prompts: {}, completions: {}, logging: {} },
      ...(options.instructions ? { instructions: options.instructions } : {}),
      cacheHints: {
        'tools/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
        'prompts/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
        'resources/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
        'resources/templates/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
      },
    },
  );
  const enabled = new Set(options.toolsets);
  for (const tool of options.catalogue.tools) if (enabled.has(tool.toolset)) registerTool(server, tool, services);
  explainDisabledTools(server, options.catalogue.tools.filter((t) => !enabled.has(t.toolset)), options.toolsets);
  for (const resource of options.catalogue.resources) registerResource(server, resource, services);
  for (const prompt of options.catalogue.prompts) registerPrompt(server, prompt, services);
  return server;
}

/** The request handler the SDK's Protocol stores (protected accessor, stable across 2.x). */
type StoredHandler = (request: unknown, ctx: unknown) => Promise<unknown>;

/**
 * Tools of a disabled toolset stay out of tools/list, but calling one by name
 * answers a JSON-RPC error (-32602, like an unknown tool) that names its toolset
 * and how to enable it, instead of a bare "not found". Every other call goes to
 * the SDK's own tools/call handler unchanged.
 */
function explainDisabledTools(server: McpServer, disabled: readonly ToolDefinition[], enabled: readonly Toolset[]): void {
  if (disabled.length === 0) return;
  const toolsetOf = new Map(disabled.map((t) => [t.name, t.toolset]));
  const low = server.server as unknown as {
    _getRequestHandler(method: string): StoredHandler | undefined;
    removeRequestHandler(method: string): void;
  };
  const original = low._getRequestHandler('tools/call');
  if (original) low.removeRequestHandler('tools/call');
  server.server.setRequestHandler('tools/call', async (request, ctx) => {
    const name = request.params.name;
    const toolset = toolsetOf.get(name);
    if (toolset !== undefined) {
      const wanted = [...enabled, toolset].join(',');
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Tool ${name} belongs to the "${toolset}" toolset, which is not enabled on this server (enabled: ${enabled.join(',')}); start hostlens with --toolsets ${wanted} or HOSTLENS_TOOLSETS=${wanted}`,
      );
    }
    if (!original) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${name} not found`);
    return (await original(request, ctx)) as CallToolResult;
  });
}

/** Output schemas are built once per tool definition and shared by every McpServer instance. */
const outputSchemas = new WeakMap<ToolDefinition, z.ZodType>();

function outputSchemaOf(tool: ToolDefinition): z.ZodType {
  let schema = outputSchemas.get(tool);
  if (!schema) {
    schema = envelopeSchema(tool.data);
    outputSchemas.set(tool, schema);
  }
  return schema;
}

function registerTool(server: McpServer, tool: ToolDefinition, services: Services): void {
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.input,
      outputSchema: outputSchemaOf(tool),
      annotations: {
        title: tool.title,
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: tool.annotations?.idempotentHint ?? true,
        openWorldHint: false,
      },
    },
    async (args: unknown, ctx: ServerContext): Promise<CallToolResult> => runTool(tool, args, ctx, services),
  );
}

export async function runTool(tool: ToolDefinition, args: unknown, ctx: ServerContext, services: Services): Promise<CallToolResult> {
  const token = ctx.mcpReq._meta?.progressToken;
  let last = -1;
  const progress = async (fraction: number, message?: string): Promise<void> => {
    if (token === undefined) return;
    const value = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
    if (value <= last) return;
    last = value;
    await ctx.mcpReq
      .notify({ method: 'notifications/progress', params: { progressToken: token, progress: value, total: 100, ...(message ? { message } : {}) } })
      .catch(() => undefined);
  };
  let output: ToolOutput<unknown>;
  try {
    output = await tool.handler(args as never, { services, signal: ctx.mcpReq.signal, progress });
  } catch (error) {
    return errorResult(tool.name, error, ctx.mcpReq.signal);
  }
  const structured = {
    host: services.hostId,
    collectedAt: new Date().toISOString(),
    ...(output.windowSec !== undefined ? { windowSec: output.windowSec } : {}),
    data: output.data,
    assessments: output.assessments ?? [],
    ...(output.truncated ? { truncated: output.truncated } : {}),
    ...(output.warnings && output.warnings.length > 0 ? { warnings: output.warnings } : {}),
  };
  return {
    content: [{ type: 'text', text: tool.render(output as never) }],
    structuredContent: structured,
  };
}

function errorResult(name: string, error: unknown, signal: AbortSignal): CallToolResult {
  let text: string;
  if (signal.aborted) text = `${name} was cancelled before it finished`;
  else if (error instanceof ToolError) text = error.message;
  else text = `${name} failed: ${error instanceof Error ? error.message.split('\n')[0] : 'internal error'}`;
  return { content: [{ type: 'text', text }], isError: true };
}

function registerResource(server: McpServer, resource: ResourceDefinition, services: Services): void {
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
      contents: [{ uri: uri.href, mimeType: resource.mimeType, text: await resource.read(services) }],
    }),
  );
}

/**
 * Prompt argument schemas carry completion metadata that the SDK attaches to
 * the schema object itself, so each is built once per (services, prompt) and
 * reused by every McpServer instance.
 */
const promptSchemas = new WeakMap<Services, Map<string, z.ZodObject>>();

function promptArgsSchema(prompt: PromptDefinition, services: Services): z.ZodObject {
  let cache = promptSchemas.get(services);
  if (!cache) {
    cache = new Map();
    promptSchemas.set(services, cache);
  }
  const cached = cache.get(prompt.name);
  if (cached) return cached;
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(prompt.args.shape as Record<string, z.ZodType>)) {
    const complete = (prompt.complete as Record<string, ((v: string, s: Services) => string[]) | undefined> | undefined)?.[key];
    if (!complete) {
      shape[key] = field;
      continue;
    }
    // The SDK looks for completion metadata inside .optional(), so wrap the inner type.
    const optional = field instanceof z.ZodOptional;
    const inner = optional ? (field.unwrap() as z.ZodType) : field;
    const wrapped = completable(inner, (value) => complete(String(value ?? ''), services));
    shape[key] = optional ? wrapped.optional() : wrapped;
  }
  const schema = z.object(shape);
  cache.set(prompt.name, schema);
  return schema;
}

function registerPrompt(server: McpServer, prompt: PromptDefinition, services: Services): void {
  server.registerPrompt(
    prompt.name,
    { title: prompt.title, description: prompt.description, argsSchema: promptArgsSchema(prompt, services) },
    async (args: unknown) => ({
      description: prompt.description,
      messages: prompt.build(args as never, services).map((m) => ({ role: m.role, content: { type: 'text' as const, text: m.text } })),
    }),
  );
}
