/**
 * The arguments tests call a tool with: its definition's first example
 * (`examples` in src/definitions/types.ts), or none for a tool that needs none.
 */
import type { ExampleContext, ToolDefinition } from '../../src/definitions/types.js';

export function exampleArgs(tool: ToolDefinition, ctx: ExampleContext): Record<string, unknown> {
  const first = tool.examples?.[0];
  if (!first) return {};
  return typeof first.args === 'function' ? first.args(ctx) : first.args;
}
