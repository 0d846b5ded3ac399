import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { CONTAINER_REF, containerLogsDataSchema, inspectContainer, readContainerLogs } from '../diagnostics/container-logs.js';
import { connectRuntime, noRuntime } from '../diagnostics/containers.js';
import { parseTime } from '../util/time-arg.js';
import { lines, renderAssessments } from './common.js';
import { ifKnown, show } from '../util/missing.js';

export const getContainerLogs = defineTool({
  name: 'get_container_logs',
  title: 'Container log tail',
  description:
    'The last lines a Docker/Podman container wrote to stdout/stderr, from the engine API: lines[{ts, stream, text}], oldest first, secrets redacted (redactionCount) and long lines clipped with …[+N chars]. grep searches up to 10 × tail recent lines (scannedLines, matchedLines; moreBefore when older lines were not scanned). Unknown container → tool error; no engine → available: false, not an error. Use after list_containers flags a crash loop, an unhealthy or an OOM-killed container.',
  toolset: 'containers',
  scope: 'hostlens:logs',
  input: z
    .object({
      container: z.string().min(1).max(128).regex(CONTAINER_REF).describe('id prefix or name (from list_containers), e.g. "web"'),
      since: z.string().max(64).optional().describe('"-15m", "-2h", "-1d" or RFC 3339'),
      tail: z.number().int().min(1).max(1000).optional().describe('newest lines to return (default 100)'),
      grep: z.string().min(1).max(200).optional().describe('case-insensitive literal substring (no regex)'),
    })
    .strict(),
  examples: [{ args: { container: 'web' }, why: 'without a container engine the answer is available: false, not an error' }],
  data: containerLogsDataSchema,
  async handler({ container, since, tail, grep }, { services, signal }) {
    const sinceMs = since === undefined ? null : parseTime(since, Date.now(), 'since');
    const opts = { signal };
    const rt = await connectRuntime(services, opts);
    const base = { container: null, lines: [], scannedLines: 0, matchedLines: 0, moreBefore: false, redactionCount: 0 };
    if (rt.runtime === null) return { data: { available: false, runtime: null, ...base }, ...noRuntime(rt.warning ?? 'no container engine') };
    const c = await inspectContainer(rt.runtime.socket, container, opts);
    const want = tail ?? 100;
    const r = await readContainerLogs(rt.runtime.socket, c, { tail: want, sinceMs, grep: grep ?? null }, opts);
    return {
      data: { available: true, runtime: rt.runtime, ...r.data },
      ...(r.cut ? { truncated: { returned: r.data.lines.length, total: r.data.matchedLines } } : {}),
      ...(r.warnings.length > 0 ? { warnings: r.warnings } : {}),
    };
  },
  render({ data: d, assessments, truncated }) {
    if (!d.available) return lines('No container engine available.', renderAssessments(assessments));
    return lines(
      `${show(d.container?.name ?? d.container?.id)}${ifKnown(d.container?.state, (s) => ` (${s})`)}: ${d.lines.length} lines of ${d.matchedLines} matched, ${d.scannedLines} scanned${d.moreBefore ? ', older lines exist' : ''}; ${d.redactionCount} redactions`,
      ...d.lines.map((l) => `${l.ts ?? '-'} ${l.stream === 'stderr' ? 'E' : 'O'} ${l.text}`),
      truncated ? `(${truncated.total - truncated.returned} more matched lines not shown)` : '',
    );
  },
});
