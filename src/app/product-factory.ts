/** The product's McpServer factory: the catalogue, built per session/request. */
import type { Toolset } from '../contracts/scopes.js';
import type { Services } from '../definitions/host-services.js';
import { productCatalogue } from '../catalogue/index.js';
import type { McpFactory } from '../http/sessions/manager.js';
import { SERVER_NAME, VERSION } from './version.js';
import { buildServer } from '../server/build.js';

/**
 * Said once here, not in every tool's description and schema (each copy cost every tool in tools/list):
 * the window behind rates, the result envelope and assessments, paging, and the host argument.
 */
const INSTRUCTIONS = [
  'hostlens answers questions about the health of this Linux host, read-only.',
  'Start with triage_host: it assesses cpu, memory, filesystems, load and pressure in one call and suggests the next tool calls.',
  'Rates are always over a stated window (windowSec in the result), never since boot: without the windowSec argument, the 1 Hz background sampler\'s last window (≈ 1 s, instant); windowSec 0.2-10 s measures afresh (with progress).',
  'Every result has structuredContent {host, collectedAt, windowSec?, data, assessments, truncated?, warnings? (what could not be read, and why), redactions? (values shown as [REDACTED]: secrets are redacted from every string)}, units in field names (…Bytes, …Pct, …PerSec, …Ms), times RFC 3339 UTC.',
  'An assessment is {area, status (ok, warning, critical, unknown), code, message, value, threshold (the one crossed, or the warning level when ok), unit, evidence?}.',
  'A list cut by its limit or by the result budget says so in truncated {returned, total, nextCursor}: repeat the call with the same arguments and cursor set to nextCursor.',
  'The host argument can be left out: "local" (this machine) is the only host.',
].join(' ');

export function createProductFactory(options: { services: Services; toolsets: readonly Toolset[] }): McpFactory {
  return (ctx) =>
    buildServer({
      ...(ctx.subscriptions ? { subscriptions: ctx.subscriptions } : {}),
      catalogue: productCatalogue,
      services: options.services,
      toolsets: options.toolsets,
      name: SERVER_NAME,
      version: VERSION,
      instructions: INSTRUCTIONS,
    });
}
