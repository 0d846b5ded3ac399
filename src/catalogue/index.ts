/** The product catalogue: every tool, resource and prompt hostlens serves. */
import { capacityReviewPrompt } from '../prompts/capacity-review.js';
import { incidentReportPrompt } from '../prompts/incident-report.js';
import { investigateCpuPrompt } from '../prompts/investigate-cpu.js';
import { investigateDiskFullPrompt } from '../prompts/investigate-disk-full.js';
import { investigateIoLatencyPrompt } from '../prompts/investigate-io-latency.js';
import { investigateMemoryPrompt } from '../prompts/investigate-memory.js';
import { investigateNetworkPrompt } from '../prompts/investigate-network.js';
import { triagePrompt } from '../prompts/triage.js';
import { investigateServicePrompt } from '../prompts/investigate-service.js';
import { changeCorrelationPrompt } from '../prompts/change-correlation.js';
import { overviewResource } from '../resources/overview.js';
import { capabilitiesResource } from '../resources/capabilities.js';
import { configTemplate } from '../resources/config-file.js';
import { runbooksTemplate } from '../resources/runbooks.js';
import { snapshotsTemplate } from '../resources/snapshots.js';
import { thresholdsResource } from '../resources/thresholds.js';
import { auditResource, auditTemplate } from '../resources/audit.js';
import type { Catalogue } from '../definitions/types.js';
import { captureSnapshot } from '../tools/capture-snapshot.js';
import { diffSnapshotsTool } from '../tools/diff-snapshots.js';
import { findSpaceHogsTool } from '../tools/find-space-hogs.js';
import { getCgroup } from '../tools/get-cgroup.js';
import { listServicesTool } from '../tools/list-services.js';
import { getServiceTool } from '../tools/get-service.js';
import { getContainerLogs } from '../tools/get-container-logs.js';
import { listContainers } from '../tools/list-containers.js';
import { getCpu } from '../tools/get-cpu.js';
import { getConfig } from '../tools/get-config.js';
import { readLogFileTool } from '../tools/read-log-file.js';
import { detectAnomalies } from '../tools/detect-anomalies.js';
import { getDiskIo } from '../tools/get-disk-io.js';
import { getFilesystems } from '../tools/get-filesystems.js';
import { getKernelEvents } from '../tools/get-kernel-events.js';
import { getLimits } from '../tools/get-limits.js';
import { getHistory } from '../tools/get-history.js';
import { getMemory } from '../tools/get-memory.js';
import { getNetwork } from '../tools/get-network.js';
import { getPressure } from '../tools/get-pressure.js';
import { getProcess } from '../tools/get-process.js';
import { getSysctl } from '../tools/get-sysctl.js';
import { getSystemInfo } from '../tools/get-system-info.js';
import { searchLogs } from '../tools/search-logs.js';
import { listSockets } from '../tools/list-sockets.js';
import { topProcessesTool } from '../tools/top-processes.js';
import { triageHost } from '../tools/triage-host.js';
import { recentChanges } from '../tools/recent-changes.js';
import type { PromptDefinition, ToolDefinition } from '../definitions/types.js';

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
    findSpaceHogsTool,
    captureSnapshot,
    listServicesTool,
    recentChanges,
    getProcess,
    getSysctl,
    listSockets,
    diffSnapshotsTool,
    getCgroup,
    getServiceTool,
    listContainers,
    getContainerLogs,
    getHistory,
    detectAnomalies,
    readLogFileTool,
    getConfig,
    searchLogs,
    getKernelEvents,
  ] as unknown as ToolDefinition[],
  resources: [
    thresholdsResource,
    overviewResource,
    capabilitiesResource,
    auditResource,
  ],
  templates: [
    snapshotsTemplate,
    runbooksTemplate,
    configTemplate,
    auditTemplate,
  ],
  prompts: [
    triagePrompt,
    incidentReportPrompt,
    investigateCpuPrompt,
    investigateMemoryPrompt,
    investigateDiskFullPrompt,
    investigateIoLatencyPrompt,
    investigateNetworkPrompt,
    capacityReviewPrompt,
    investigateServicePrompt,
    changeCorrelationPrompt,
  ] as unknown as PromptDefinition[],
};
