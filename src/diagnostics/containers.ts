/**
 * list_containers: Docker/Podman containers from the engine API (collectors/containers.ts) with state,
 * health, restarts, OOM-killed, CPU % and memory (engine stats) and CPU throttling from the container's own
 * cgroup, read on this host around the stats request. Assessed for OOM kills, unhealthy, restart loops,
 * memory near the limit and throttling.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import type { CgroupCpuStat, CgroupInfo } from '../collectors/cgroup.js';
import { readCgroupCpuStat } from '../collectors/cgroup.js';
import { readCgroupTarget } from '../collectors/cgroup-target.js';
import type { ApiOptions, ContainerInspect } from '../collectors/containers.js';
import { API_PREFIX, apiJson, findContainerSocket, parseContainerList, parseInspect, parseStats } from '../collectors/containers.js';
import { pct } from '../collectors/read.js';
import { assess, unknownAssessment } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { ifKnown, show } from '../util/missing.js';
import { compareCodeUnits } from '../util/compare.js';

export const CONTAINER_STATES = ['all', 'running', 'exited', 'paused', 'restarting', 'created', 'dead'] as const;
/** Containers inspected per call (one GET each, INSPECT_CONCURRENCY at a time); more are named in a warning. */
export const MAX_INSPECT = 200;
export const INSPECT_CONCURRENCY = 4;
/** Stats requests in flight at once (each holds ≈1–2 s inside the engine, mostly waiting). */
export const STATS_CONCURRENCY = 8;
/** Stats with stream=false take the engine ≈1–2 s (it samples twice): a longer bound than the other calls. */
const STATS_TIMEOUT_MS = 5000;

/** the container engine; null when none answered */
export const runtimeSchema = z
  .object({
    kind: z.enum(['docker', 'podman']),
    /** engine version from GET /version */
    version: z.string().nullable(),
    apiVersion: z.string().nullable(),
    /** the unix socket the API was reached on */
    socket: z.string(),
  })
  .nullable();

const containerSchema = z.object({
  /** first 12 hex characters of the container id */
  id: z.string(),
  name: z.string().nullable(),
  image: z.string().nullable(),
  /** running, exited, paused, restarting, created, dead */
  state: z.string().nullable(),
  /** healthy, unhealthy, starting, or none (no healthcheck) */
  health: z.string().nullable(),
  /** RestartCount: restarts by the engine's restart policy since the container was created */
  restarts: z.number().int().nullable(),
  exitCode: z.number().int().nullable(),
  /** the last exit was an OOM kill */
  oomKilled: z.boolean().nullable(),
  startedAt: z.string().nullable(),
  /** CPU % over the engine's stats window (≈1 s), 100 = one full core (docker stats semantics); null when not running */
  cpuPct: z.number().nullable(),
  /** memory in use minus inactive file cache (docker stats semantics) */
  memBytes: z.number().int().nullable(),
  /** the container's memory limit; null when unlimited */
  memLimitBytes: z.number().int().nullable(),
  /** memBytes of memLimitBytes; null when unlimited */
  memUsedPct: z.number().nullable(),
  /** share of CFS periods throttled by the CPU quota during the stats request (two reads of the container cgroup's cpu.stat on this host); 0 when no period ran; null when the cgroup is not visible here or the container is not running */
  throttledPct: z.number().nullable(),
  pids: z.number().int().nullable(),
});
type ContainerRow = z.infer<typeof containerSchema>;

export const listContainersDataSchema = z.object({
  /** false when no Docker/Podman API answered (see warnings) */
  available: z.boolean(),
  runtime: runtimeSchema,
  /** problems first (OOM-killed, unhealthy, restarting, dead), then running, then the rest; by name */
  containers: z.array(containerSchema),
  /**
   * Before paging. total: containers matching `state` in the engine's list; inspected: of those, the ones
   * inspected (at most MAX_INSPECT), which running/unhealthy/oomKilled count.
   */
  counts: z.object({ total: z.number().int(), inspected: z.number().int(), running: z.number().int(), unhealthy: z.number().int(), oomKilled: z.number().int() }),
});

type Runtime = NonNullable<z.infer<typeof runtimeSchema>>;

interface RuntimeResult {
  runtime: Runtime | null;
  /** Why there is none. */
  warning: string | null;
}

/** Finds the socket and asks GET /version (kind from Components/Server header). */
export async function connectRuntime(services: HostInputs, opts: ApiOptions = {}): Promise<RuntimeResult> {
  const found = findContainerSocket(services.collectors, services.limits.containerSocket);
  if (found.socket === null) return { runtime: null, warning: `no Docker/Podman API socket (looked for ${found.tried.join(', ')}); set containerSocket / HOSTLENS_CONTAINER_SOCKET if it lives elsewhere` };
  const r = await apiJson(found.socket, `${API_PREFIX}/version`, opts);
  if (!r.ok) return { runtime: null, warning: `container engine at ${found.socket} did not answer: ${r.message}` };
  const v = (r.value ?? {}) as { Version?: unknown; ApiVersion?: unknown; Components?: unknown };
  const components = Array.isArray(v.Components) ? JSON.stringify(v.Components) : '';
  return {
    runtime: {
      kind: /podman/i.test(components) ? 'podman' : 'docker',
      version: typeof v.Version === 'string' ? v.Version.slice(0, 64) : null,
      apiVersion: typeof v.ApiVersion === 'string' ? v.ApiVersion.slice(0, 16) : null,
      socket: found.socket,
    },
    warning: null,
  };
}

/** Runs fn over items with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function problemRank(c: ContainerInspect): number {
  if (c.oomKilled) return 0;
  if (c.health === 'unhealthy') return 1;
  if (c.status === 'restarting' || c.status === 'dead') return 2;
  if (c.status === 'running') return 3;
  return 4;
}

function sortContainers(list: ContainerInspect[]): ContainerInspect[] {
  return [...list].sort((a, b) => problemRank(a) - problemRank(b) || compareCodeUnits(a.name ?? a.id, b.name ?? b.id));
}

function cpuStatOf(services: HostInputs, info: CgroupInfo): CgroupCpuStat | null {
  const ctx = services.collectors;
  if (info.version === 2) return info.dir === null ? null : readCgroupCpuStat(ctx, info.dir, 2);
  const cpu = info.dirs.cpu ?? info.dirs.cpuacct;
  return cpu === undefined ? null : readCgroupCpuStat(ctx, cpu, 1, info.dirs.cpuacct ?? cpu);
}

/** Throttled share of periods between two cpu.stat reads; 0 when no period ran in between; null when unreadable. */
function throttledBetween(a: CgroupCpuStat | null, b: CgroupCpuStat | null): number | null {
  if (!a || !b || a.nrPeriods === null || b.nrPeriods === null || a.nrThrottled === null || b.nrThrottled === null) return null;
  const dp = b.nrPeriods - a.nrPeriods;
  const dt = b.nrThrottled - a.nrThrottled;
  if (dp < 0 || dt < 0) return null;
  if (dp === 0) return 0;
  return Math.min(100, Math.round((dt / dp) * 1000) / 10);
}

/**
 * Why the cgroup read for the engine's pid is not this container's, or null when it is. The engine's pid is in
 * its own pid namespace: from another one (hostlens in a container) it may name an unrelated process, so the
 * cgroup path must contain the container id (docker-<id>.scope, /docker/<id>, libpod-<id>.scope, …); and a
 * cgroup outside our cgroup namespace is read at a parent directory, which is not the container's either.
 */
export function cgroupMismatch(t: { info: CgroupInfo } | { error: string }, id: string): string | null {
  if ('error' in t) return t.error;
  const path = t.info.path;
  if (path === null || !path.includes(id)) return `its cgroup${ifKnown(path, (p) => ` ${p}`)} does not name the container (another pid namespace?)`;
  const dir = t.info.version === 2 ? t.info.dir : (t.info.dirs.cpu ?? null);
  if (dir === null || !dir.endsWith(path)) return `${path} is not under this cgroup mount (another cgroup namespace?)`;
  return null;
}

interface StatsMeasure {
  row: Pick<ContainerRow, 'cpuPct' | 'memBytes' | 'memLimitBytes' | 'memUsedPct' | 'throttledPct' | 'pids'>;
  windowSec: number | null;
  warnings: string[];
}

/** Engine stats (≈1 s: the engine samples twice) bracketed by two reads of the container's cgroup cpu.stat. */
export async function measureStats(services: HostInputs, socket: string, c: ContainerInspect, opts: ApiOptions): Promise<StatsMeasure> {
  const warnings: string[] = [];
  const label = c.name ?? c.id.slice(0, 12);
  let cg: CgroupInfo | null = null;
  if (c.pid !== null) {
    const t = readCgroupTarget(services.collectors, { pid: c.pid });
    const why = cgroupMismatch(t, c.id);
    if (why === null && 'info' in t) cg = t.info;
    else warnings.push(`${label}: its cgroup (pid ${c.pid}) is not visible from here (${why}): throttledPct is null`);
  }
  const before = cg ? cpuStatOf(services, cg) : null;
  const r = await apiJson(socket, `${API_PREFIX}/containers/${c.id}/stats?stream=false`, { ...opts, timeoutMs: opts.timeoutMs ?? STATS_TIMEOUT_MS });
  const after = cg ? cpuStatOf(services, cg) : null;
  const s = r.ok ? parseStats(r.value) : null;
  if (!r.ok) warnings.push(`${label}: stats unavailable (${r.message})`);
  else if (s && s.cpuPct === null) warnings.push(`${label}: the engine gave no previous CPU sample: cpuPct is null`);
  const limit = c.memoryLimitBytes;
  const memBytes = s?.memBytes ?? null;
  return {
    row: {
      cpuPct: s?.cpuPct ?? null,
      memBytes,
      memLimitBytes: limit,
      memUsedPct: limit !== null && memBytes !== null ? pct(memBytes, limit) : null,
      throttledPct: throttledBetween(before, after),
      pids: s?.pids ?? null,
    },
    windowSec: s?.windowSec ?? null,
    warnings,
  };
}

const EMPTY_STATS: StatsMeasure['row'] = { cpuPct: null, memBytes: null, memLimitBytes: null, memUsedPct: null, throttledPct: null, pids: null };

export function toRow(c: ContainerInspect, stats: StatsMeasure['row'] | null): ContainerRow {
  return {
    id: c.id.slice(0, 12),
    name: c.name,
    image: c.image,
    state: c.status,
    health: c.health,
    restarts: c.restartCount,
    exitCode: c.exitCode,
    oomKilled: c.oomKilled,
    startedAt: c.startedAt,
    ...(stats ?? { ...EMPTY_STATS, memLimitBytes: c.memoryLimitBytes }),
  };
}

/** Every container (≤ MAX_INSPECT) inspected, filtered by state and sorted; warnings for what could not be read. */
export async function inspectAll(socket: string, state: (typeof CONTAINER_STATES)[number], opts: ApiOptions): Promise<{ list: ContainerInspect[]; matching: number; warnings: string[]; error: string | null }> {
  const warnings: string[] = [];
  const r = await apiJson(socket, `${API_PREFIX}/containers/json?all=1`, opts);
  if (!r.ok) return { list: [], matching: 0, warnings, error: r.message };
  const { items, bad } = parseContainerList(r.value);
  if (bad > 0) warnings.push(`${bad} malformed entr${bad === 1 ? 'y' : 'ies'} in the container list skipped`);
  const wanted = items.filter((i) => state === 'all' || i.state === null || i.state === state);
  if (wanted.length > MAX_INSPECT) warnings.push(`${wanted.length} containers: only the first ${MAX_INSPECT} in the engine's order were inspected`);
  const inspected = await mapLimit(wanted.slice(0, MAX_INSPECT), INSPECT_CONCURRENCY, async (s) => {
    const d = await apiJson(socket, `${API_PREFIX}/containers/${s.id}/json`, opts);
    const parsed = d.ok ? parseInspect(d.value) : null;
    if (parsed === null) warnings.push(`${s.name ?? s.id.slice(0, 12)}: inspect failed (${d.ok ? 'malformed document' : d.message})`);
    return parsed;
  });
  const list = inspected.filter((c): c is ContainerInspect => c !== null && (state === 'all' || c.status === state));
  return { list: sortContainers(list), matching: Math.max(wanted.length, list.length), warnings, error: null };
}

/** Assessments over the measured page plus the whole inspected list (OOM, unhealthy, restarts). */
export function containerAssessments(services: HostInputs, all: readonly ContainerInspect[], rows: readonly ContainerRow[]): Assessment[] {
  const t = services.thresholds;
  const out: Assessment[] = [];
  const name = (c: { name: string | null; id: string }): string => c.name ?? c.id.slice(0, 12);
  for (const c of all.filter((x) => x.oomKilled).slice(0, 5)) {
    out.push({ area: 'containers', code: 'container.oom_killed', status: 'critical', message: `Container ${name(c)} was OOM-killed (exit code ${show(c.exitCode)}, memory limit ${c.memoryLimitBytes === null ? 'none' : `${c.memoryLimitBytes} bytes`})`, value: 1, threshold: 1, unit: 'count' });
  }
  for (const c of all.filter((x) => x.health === 'unhealthy').slice(0, 5)) {
    out.push({ area: 'containers', code: 'container.unhealthy', status: 'critical', message: `Container ${name(c)} fails its healthcheck (unhealthy)`, value: null, threshold: null, unit: '' });
  }
  const worstRestarts = [...all].sort((a, b) => (b.restartCount ?? 0) - (a.restartCount ?? 0))[0];
  out.push(
    assess({ area: 'containers', code: 'container.restarts', label: worstRestarts ? `Restarts of ${name(worstRestarts)} (the most of any container)` : 'Container restarts', value: worstRestarts ? (worstRestarts.restartCount ?? 0) : 0, spec: t['container.restarts'] }),
  );
  const worstMem = rows.filter((r) => r.memUsedPct !== null).sort((a, b) => b.memUsedPct! - a.memUsedPct!)[0];
  if (worstMem) out.push(assess({ area: 'containers', code: 'container.memory_used', label: `Memory of ${name(worstMem)} (of its limit)`, value: worstMem.memUsedPct, spec: t['cgroup.memoryUsedPct'], evidence: [`${worstMem.memBytes} of ${worstMem.memLimitBytes} bytes`] }));
  const worstThr = rows.filter((r) => r.throttledPct !== null).sort((a, b) => b.throttledPct! - a.throttledPct!)[0];
  if (worstThr) out.push(assess({ area: 'containers', code: 'container.cpu_throttled', label: `CPU throttling of ${name(worstThr)} (periods throttled during the stats window)`, value: worstThr.throttledPct, spec: t['cgroup.throttledPct'] }));
  return out;
}

export function noRuntime(warning: string): { assessments: Assessment[]; warnings: string[] } {
  return { assessments: [unknownAssessment('containers', 'containers.runtime', 'No Docker/Podman engine answered: containers cannot be listed here')], warnings: [warning] };
}
