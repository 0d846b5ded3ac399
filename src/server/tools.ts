/**
 * Tool registration: wraps each definition's `data` schema in the standard
 * envelope, turns handler results into structuredContent plus a text
 * rendering, maps failures to `isError` results (never a stack trace), wires
 * progress and cancellation, and explains tools of disabled toolsets.
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CallToolResult, McpServer, ServerContext } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { ToolDefinition, ToolOutput, Toolset } from '../catalogue/types.js';
import { ToolError } from '../catalogue/types.js';
import type { Services } from '../catalogue/services.js';
import { envelopeSchema } from './envelope.js';

/** The request handler the SDK's Protocol stores (protected accessor, stable across 2.x). */
type StoredHandler = (request: unknown, ctx: unknown) => Promise<unknown>;

/**
 * Tools of a disabled toolset stay out of tools/list, but calling one by name
 * answers a JSON-RPC error (-32602, like an unknown tool) that names its toolset
 * and how to enable it, instead of a bare "not found". Every other call goes to
 * the SDK's own tools/call handler unchanged.
 */
export function explainDisabledTools(server: McpServer, disabled: readonly ToolDefinition[], enabled: readonly Toolset[]): void {
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

export function registerTool(server: McpServer, tool: ToolDefinition, services: Services): void {
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
    content: [
      { type: 'text', text: tool.render(output as never) },
      ...(output.links ?? []).map((link) => ({ type: 'resource_link' as const, ...link })),
    ],
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

