/** The product's McpServer factory: the catalogue, built per session/request. */
import type { Toolset } from '../contracts/scopes.js';
import type { Services } from '../definitions/host-services.js';
import { productCatalogue } from '../catalogue/index.js';
import type { McpFactory } from '../http/sessions.js';
import { SERVER_NAME, VERSION } from '../contracts/version.js';
import { buildServer } from '../server/build.js';

const INSTRUCTIONS = [
  'hostlens answers questions about the health of this Linux host, read-only.',
  'Start with triage_host: it assesses cpu, memory, filesystems, load and pressure in one call and suggests the next tool calls.',
  'Rates (CPU %) are always over a stated window (windowSec in the result); pass windowSec (0.2-10 s) to force a fresh measurement.',
  'Every result has structuredContent with units in field names (…Bytes, …Pct, …PerSec) and assessments {status, code, message, value, threshold, unit}.',
].join(' ');

export function createProductFactory(options: { services: Services; toolsets: readonly Toolset[] }): McpFactory {
  return () =>
    buildServer({
      catalogue: productCatalogue,
      services: options.services,
      toolsets: options.toolsets,
      name: SERVER_NAME,
      version: VERSION,
      instructions: INSTRUCTIONS,
    });
}
