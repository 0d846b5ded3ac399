/**
 * The registry behind the shared tool table (../tools.ts): tools registered
 * once on a never-connected "template" McpServer, so their JSON Schemas and
 * input/output validation are exactly the SDK's, and served by request
 * handlers every per-session or per-request server installs. McpServer has
 * no public way to list a registered tool's schemas or to validate a call
 * outside its own tools/call handler, so this reads members the 2.4.0
 * typings mark private, @internal or @hidden (README.md, "Shared tool
 * table"); each is checked when the registry is built.
 */
import { McpServer } from '@modelcontextprotocol/server';
import type { CallToolResult, RegisteredTool, StandardSchemaWithJSON, ToolAnnotations } from '@modelcontextprotocol/server';
import { requireMembers } from './members.js';
import type { MemberSpec } from './members.js';

const PATCH = 'tool-registry';

/** What registerTool is given (its first, non-deprecated overload). */
interface ToolConfig {
  title?: string;
  description?: string;
  inputSchema?: StandardSchemaWithJSON;
  outputSchema?: StandardSchemaWithJSON;
  annotations?: ToolAnnotations;
}

/** The McpServer members used: `private` (validate*) or `@internal` (toolInputSchemaJson) in the typings. */
interface TemplateInternals {
  toolInputSchemaJson(name: string): Record<string, unknown> | undefined;
  validateToolInput(tool: RegisteredTool, args: unknown, name: string): Promise<unknown>;
  validateToolOutput(tool: RegisteredTool, result: CallToolResult, name: string): Promise<void>;
}

export const TEMPLATE_MEMBERS: readonly MemberSpec[] = [
  { name: 'toolInputSchemaJson', kind: 'function', arity: 1 },
  { name: 'validateToolInput', kind: 'function', arity: 3 },
  { name: 'validateToolOutput', kind: 'function', arity: 3 },
];
export const REGISTERED_TOOL_MEMBERS: readonly MemberSpec[] = [{ name: 'outputSchemaJson', kind: 'property' }];

/** Throws SdkPatchError naming the McpServer member the registry needs and `template` lacks. */
export function checkToolTemplate(template: unknown): asserts template is TemplateInternals {
  requireMembers(PATCH, 'McpServer', template, TEMPLATE_MEMBERS);
}

/** Throws SdkPatchError unless registerTool's result still carries `outputSchemaJson` (@hidden in the typings). */
export function checkRegisteredTool(registered: unknown): void {
  requireMembers(PATCH, 'RegisteredTool', registered, REGISTERED_TOOL_MEMBERS);
}

export interface ToolRegistry {
  /**
   * Registers a tool whose calls the caller runs itself (the SDK's callback is never called). `listOutput`
   * rewrites the outputSchema McpServer converted, for what tools/list shows and projectCallToolResult uses
   * (results are still validated with the zod schema).
   */
  register(name: string, config: ToolConfig, listOutput?: (schema: Record<string, unknown>) => Record<string, unknown>): void;
  /** The inputSchema tools/list shows, as McpServer converts it. */
  listedInputSchema(name: string): Record<string, unknown> | undefined;
  /** The outputSchema tools/list shows and projectCallToolResult expects, as McpServer converts it. */
  listedOutputSchema(name: string): Record<string, unknown> | undefined;
  /** McpServer's own input validation: the parsed arguments, or a ProtocolError(InvalidParams) naming the tool. */
  validateInput(name: string, args: unknown): Promise<unknown>;
  /** McpServer's own output validation: a ProtocolError(InvalidParams) when structuredContent does not match. */
  validateOutput(name: string, result: CallToolResult): Promise<void>;
}

export function createToolRegistry(): ToolRegistry {
  const template = new McpServer({ name: 'hostlens-tool-table', version: '0' }, { capabilities: { tools: {} } });
  // A second name for the same object: McpServer declares these members private, so the narrowed type cannot be McpServer's.
  const internals: unknown = template;
  checkToolTemplate(internals);
  const registered = new Map<string, RegisteredTool>();
  const get = (name: string): RegisteredTool => {
    const tool = registered.get(name);
    if (!tool) throw new Error(`tool ${name} is not in the registry`);
    return tool;
  };
  return {
    register(name, config, listOutput) {
      const tool = template.registerTool(name, config, async () => ({ content: [] }));
      checkRegisteredTool(tool);
      // outputSchemaJson is assignable (RegisteredTool.update assigns it too).
      if (listOutput && tool.outputSchemaJson) tool.outputSchemaJson = listOutput(tool.outputSchemaJson);
      registered.set(name, tool);
    },
    listedInputSchema: (name) => internals.toolInputSchemaJson(name),
    listedOutputSchema: (name) => get(name).outputSchemaJson,
    validateInput: (name, args) => internals.validateToolInput(get(name), args, name),
    validateOutput: (name, result) => internals.validateToolOutput(get(name), result, name),
  };
}
