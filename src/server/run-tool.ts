/**
 * Runs one tool definition for a tools/call: progress and cancellation wiring,
 * the standard envelope, the result budget (maxResultBytes, see budget.ts) on
 * both the structuredContent and the text, and failures mapped to `isError`
 * results (never a stack trace; error-mapping.ts). Redaction is default on and central: every
 * string of the handler's output (data, assessments, warnings, links) is
 * redacted before the budget cut and the text rendering, and the envelope's
 * `redactions` counts the values shown as [REDACTED] (before any budget cut).
 * Parts of `data` the definition declares as another tool's reading are
 * withheld from a principal without that tool's scope (reader-scope.ts),
 * before redaction and the budget, so nothing downstream sees them. The
 * `host` argument is checked here, once for every tool (host-argument.ts).
 */
import type { ServedTools } from '../diagnostics/triage-next-steps.js';
import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import type { ToolDefinition, ToolOutput } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import type { Services } from '../definitions/host-services.js';
import { clipText, fitToBudget } from './budget.js';
import { toolErrorResult } from './error-mapping.js';
import { filterParts, withheldWarnings } from '../definitions/reader-scope.js';
import { readerOf } from './principal.js';
import { countRedacted, redactValue } from './redact-result.js';
import { withToolLimits } from './tool-limits.js';
import { ownArguments } from './host-argument.js';
import { tenantOf } from './tenant.js';

export async function runTool(tool: ToolDefinition, args: unknown, ctx: ServerContext, services: Services, served: ServedTools): Promise<CallToolResult> {
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
  const reader = readerOf(ctx.http?.authInfo);
  try {
    // Per-tool concurrency cap and deadline (tool-limits.ts): the handler's signal also fires at the deadline.
    const own = ownArguments(args, services.hostId);
    const raw = await withToolLimits(tool, services, ctx.mcpReq.signal, (signal) => tool.handler(own as never, { services, served, signal, progress, reader }), tenantOf(ctx.http?.req));
    output = redactOutput(forReader(raw, tool, reader));
  } catch (error) {
    return errorResult(tool.name, error, ctx.mcpReq.signal, services);
  }
  const maxBytes = services.limits.maxResultBytes;
  const structured = {
    host: services.hostId,
    collectedAt: new Date().toISOString(),
    ...(output.windowSec !== undefined ? { windowSec: output.windowSec } : {}),
    data: output.data,
    assessments: output.assessments ?? [],
    ...(output.truncated ? { truncated: output.truncated } : {}),
    ...(output.warnings && output.warnings.length > 0 ? { warnings: output.warnings } : {}),
    redactions: countRedacted([output.data, output.assessments, output.warnings]),
  };
  const fitted = fitToBudget(structured, output.page, maxBytes);
  if (!fitted.fits) {
    return errorResult(
      tool.name,
      new HostlensError('too_large', `${tool.name}: the result is ${fitted.bytes} bytes even after cutting lists and clipping strings, over maxResultBytes (${maxBytes}); narrow the query (limit, filters)`),
      ctx.mcpReq.signal,
      services,
    );
  }
  const envelope = fitted.envelope;
  const shown: ToolOutput<unknown> = fitted.cut
    ? {
        ...output,
        data: envelope.data,
        assessments: envelope.assessments as ToolOutput<unknown>['assessments'],
        ...(envelope.truncated ? { truncated: envelope.truncated } : {}),
        ...(envelope.warnings ? { warnings: envelope.warnings } : {}),
      }
    : output;
  let text: string;
  try {
    text = tool.render(shown as never);
  } catch (error) {
    return errorResult(tool.name, error, ctx.mcpReq.signal, services);
  }
  return {
    content: [
      // rendered from the redacted output (not redacted again: that would mangle the cursors it quotes)
      { type: 'text', text: clipText(text, maxBytes) },
      ...(output.links ?? []).map((link) => ({ type: 'resource_link' as const, ...link })),
    ],
    structuredContent: envelope,
  };
}

function errorResult(name: string, error: unknown, signal: AbortSignal, services: Services): CallToolResult {
  return toolErrorResult(name, error, { signal, maxBytes: services.limits.maxResultBytes, ...(services.log ? { log: services.log } : {}) });
}

/** The handler's output without the declared parts this reader may not see; a warning names each. */
function forReader(output: ToolOutput<unknown>, tool: ToolDefinition, reader: ReturnType<typeof readerOf>): ToolOutput<unknown> {
  const f = filterParts(output.data, tool.scopedParts, reader);
  if (f.withheld.length === 0 && f.value === output.data) return output;
  return { ...output, data: f.value, warnings: [...(output.warnings ?? []), ...withheldWarnings(f.withheld)] };
}

/** The handler's output with every string redacted (cursors, URIs and digests kept; see redact-result.ts). */
function redactOutput(output: ToolOutput<unknown>): ToolOutput<unknown> {
  const { data, assessments, warnings, links } = output;
  const r = redactValue({ data, assessments, warnings, links });
  if (r.count === 0) return output;
  return {
    ...output,
    data: r.value.data,
    ...(assessments ? { assessments: r.value.assessments } : {}),
    ...(warnings ? { warnings: r.value.warnings } : {}),
    ...(links ? { links: r.value.links } : {}),
  };
}
