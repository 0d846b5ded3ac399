/**
 * The tools a server actually serves (its enabled toolsets), by name with
 * their input schemas: what triage_host's next steps may name.
 */
import type { z } from 'zod';
import type { Toolset } from '../contracts/scopes.js';
import type { ToolDefinition } from '../definitions/types.js';
import type { ServedTools } from '../diagnostics/triage-next-steps.js';

export function servedTools(tools: readonly ToolDefinition[], toolsets: readonly Toolset[]): ServedTools {
  const enabled = new Set(toolsets);
  return new Map(tools.filter((t) => enabled.has(t.toolset)).map((t) => [t.name, t.input as z.ZodType]));
}
