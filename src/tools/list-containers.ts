import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { CONTAINER_STATES, INSPECT_CONCURRENCY, MAX_INSPECT, STATS_CONCURRENCY, connectRuntime, containerAssessments, inspectAll, listContainersDataSchema, mapLimit, measureStats, noRuntime, toRow } from '../diagnostics/containers.js';
import { fmtBytes, fmtPct, lines, renderAssessments } from './common.js';
import { ifKnown, show } from '../util/missing.js';
import { cursorField, paginate } from './paging.js';

export const listContainers = defineTool({
  name: 'list_containers',
  title: 'Docker/Podman containers with health and resource use',
  description:
    `Containers of the local Docker or Podman engine (its API over the unix socket; runtime says which), problems first: OOM-killed, unhealthy, restarting/dead, then running, then the rest. Per container: id (12 chars), name, image, state, health, restarts (RestartCount), exitCode, oomKilled (last exit), startedAt; for running ones on the page: cpuPct (over the engine's ≈ 1 s stats window, 100 = one core), memBytes vs memLimitBytes (null = unlimited) and memUsedPct, throttledPct (CFS periods throttled during that window, from the container's cgroup on this host; null when not visible), pids. Assessed: OOM-killed, unhealthy, restart loops, memory near the limit, throttling. Cost: one inspect per container (≤ ${MAX_INSPECT}, ${INSPECT_CONCURRENCY} at a time) and a stats request per running container on the page (${STATS_CONCURRENCY} at a time, ≈ 1–2 s each: a page of 20 running ≈ 3–6 s), so keep limit small. No engine → available: false, not an error.`,
  toolset: 'containers',
  input: z
    .object({
      state: z.enum(CONTAINER_STATES).optional().describe('default all'),
      limit: z.number().int().min(1).max(100).optional().describe('default 20; stats are fetched for the running ones on the page'),
      cursor: cursorField,
    })
    .strict(),
  data: listContainersDataSchema,
  async handler({ state, limit, cursor }, { services, signal, progress }) {
    const opts = { signal };
    const rt = await connectRuntime(services, opts);
    const empty = { total: 0, running: 0, unhealthy: 0, oomKilled: 0, inspected: 0 };
    if (rt.runtime === null) return { data: { available: false, runtime: null, containers: [], counts: empty }, ...noRuntime(rt.warning ?? 'no container engine') };
    const socket = rt.runtime.socket;
    const all = await inspectAll(socket, state ?? 'all', opts);
    if (all.error !== null) return { data: { available: false, runtime: rt.runtime, containers: [], counts: empty }, ...noRuntime(`the container list failed: ${all.error}`) };
    const query = { state: state ?? 'all' };
    const p = paginate(all.list, { limit: limit ?? 20, cursor, query });
    const running = p.items.filter((c) => c.status === 'running').length;
    let done = 0;
    const measured = await mapLimit(p.items, STATS_CONCURRENCY, async (c) => {
      if (c.status !== 'running') return null;
      const m = await measureStats(services, socket, c, opts);
      await progress(++done / running, `stats ${done} of ${running}`);
      return m;
    });
    const rows = p.items.map((c, i) => toRow(c, measured[i]?.row ?? null));
    const windows = measured.map((m) => m?.windowSec ?? null).filter((w): w is number => w !== null);
    const warnings = [...all.warnings, ...measured.flatMap((m) => m?.warnings ?? [])];
    return {
      data: {
        available: true,
        runtime: rt.runtime,
        containers: rows,
        counts: {
          total: all.matching,
          running: all.list.filter((c) => c.status === 'running').length,
          unhealthy: all.list.filter((c) => c.health === 'unhealthy').length,
          oomKilled: all.list.filter((c) => c.oomKilled).length,
          inspected: all.list.length,
        },
      },
      assessments: containerAssessments(services, all.list, rows),
      ...(windows.length > 0 ? { windowSec: Math.max(...windows) } : {}),
      ...(p.truncated ? { truncated: p.truncated } : {}),
      page: { field: 'containers', ...p.page },
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  },
  render({ data: d, assessments, truncated }) {
    if (!d.available) return lines('No container engine available.', renderAssessments(assessments));
    return lines(
      `${show(d.runtime?.kind)}${ifKnown(d.runtime?.version, (v) => ` ${v}`)} at ${show(d.runtime?.socket)}: ${d.counts.total} containers, ${d.counts.running} running, ${d.counts.unhealthy} unhealthy, ${d.counts.oomKilled} OOM-killed`,
      ...d.containers.map(
        (c) =>
          `${c.id} ${show(c.name)} (${show(c.image)}) ${show(c.state)}${c.health && c.health !== 'none' ? `/${c.health}` : ''} restarts ${show(c.restarts)}${c.oomKilled ? ' OOM-KILLED' : ''}${c.state === 'running' ? ` cpu ${fmtPct(c.cpuPct)} mem ${fmtBytes(c.memBytes)}/${c.memLimitBytes === null ? '∞' : fmtBytes(c.memLimitBytes)} throttled ${fmtPct(c.throttledPct)} pids ${show(c.pids)}` : ` exit ${show(c.exitCode)}`}`,
      ),
      truncated ? `(${truncated.total - truncated.returned} more; nextCursor continues)` : '',
      renderAssessments(assessments),
    );
  },
});
