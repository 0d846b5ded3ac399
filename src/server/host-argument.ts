/**
 * The `host` argument every tool takes: which host of the inventory a call inspects. It belongs to
 * the server, not to a tool: definitions declare only their own arguments, the tool table publishes
 * and validates each input schema with `host` added, and runTool refuses any host but the server's
 * own before the handler runs, with the same tool error for every tool.
 */
import { z } from 'zod';
import { HostlensError } from '../contracts/errors.js';
import type { ToolDefinition } from '../definitions/types.js';

// No description: the server instructions explain `host` once for all 28 tools (≈ 90 bytes of every tool's listing).
const hostField = z.string().max(128).optional();

const published = new WeakMap<ToolDefinition, z.ZodObject>();

/** The input schema clients see and the SDK validates: the definition's own arguments and `host` (its strictness and checks kept). */
export function publishedInput(tool: ToolDefinition): z.ZodObject {
  let schema = published.get(tool);
  if (!schema) {
    schema = tool.input.safeExtend({ host: hostField });
    published.set(tool, schema);
  }
  return schema;
}

/** Validated arguments without `host`, for the handler; a HostlensError (invalid_argument) when they name another host than `hostId`. */
export function ownArguments(args: unknown, hostId: string): Record<string, unknown> {
  const { host, ...own } = (args ?? {}) as Record<string, unknown>;
  if (host !== undefined && host !== hostId) throw new HostlensError('invalid_argument', `unknown host "${String(host).slice(0, 64)}": only "${hostId}" is available`);
  return own;
}
