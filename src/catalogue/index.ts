/** The product catalogue: every tool, resource and prompt hostlens serves. */
import { triagePrompt } from '../prompts/triage.js';
import { overviewResource } from '../resources/overview.js';
import { thresholdsResource } from '../resources/thresholds.js';
import type { Catalogue } from '../server/build.js';
import { getCpu } from '../tools/get-cpu.js';
import { getDiskIo } from '../tools/get-disk-io.js';
import { getFilesystems } from '../tools/get-filesystems.js';
import { getLimits } from '../tools/get-limits.js';
import { getMemory } from '../tools/get-memory.js';
import { getNetwork } from '../tools/get-network.js';
import { getPressure } from '../tools/get-pressure.js';
import { getSysctl } from '../tools/get-sysctl.js';
import { getSystemInfo } from '../tools/get-system-info.js';
import { topProcessesTool } from '../tools/top-processes.js';
import { triageHost } from '../tools/triage-host.js';
import type { PromptDefinition, ToolDefinition } from './types.js';

export const productCatalogue: Catalogue = {
  // One entry per line, grouped by toolset: core first.
  tools: [
    triageHost,
    getSystemInfo,
    getCpu,
    getMemory,
    getFilesystems,
    topProcessesTool,
    getDiskIo,
    getNetwork,
    getPressure,
    getLimits,
    getSysctl,
  ] as unknown as ToolDefinition[],
  resources: [
    thresholdsResource,
    overviewResource,
  ],
  templates: [],
  prompts: [
    triagePrompt,
  ] as unknown as PromptDefinition[],
};
