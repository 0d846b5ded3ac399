/**
 * list_services / get_service: systemd units read through systemctl
 * (collectors/systemd.ts), ordered failed first, with restarts and resource
 * use, and judged: failed units (services.failedUnits) and crash loops
 * (services.restarts). Where systemd is not PID 1 both answer
 * `systemd.available: false` with the reason and an unknown assessment.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { HostlensError } from '../contracts/errors.js';
import {
  DEP_PROPERTIES, DETAIL_PROPERTIES, LIST_PROPERTIES, environmentNames, execCodeName, listUnits, propInt, propList, propTimestamp, showUnits, systemdStatus,
} from '../collectors/systemd.js';
import type { ListedUnit, RunOpts, SystemdStatus } from '../collectors/systemd.js';
import { assess, unknownAssessment } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { show } from '../util/missing.js';

/** Whether systemd is this host's service manager; reason: why units cannot be read here (e.g. systemd is not PID 1), null when available. */
const systemdSchema = z.object({ available: z.boolean(), reason: z.string().nullable() });

const unitSchema = z.object({
  name: z.string(),
  description: z.string(),
  /** loaded, not-found, masked, error */
  load: z.string(),
  /** active, failed, activating, deactivating, inactive, reloading */
  active: z.string(),
  /** running, exited, dead, failed, auto-restart, … */
  sub: z.string(),
  /** success, exit-code, signal, core-dump, timeout, oom-kill, start-limit-hit, … */
  result: z.string().nullable(),
  /** RFC 3339 UTC time of the last state change */
  since: z.string().nullable(),
  /** automatic restarts (NRestarts) since the unit was last started by hand */
  restarts: z.number().int().nullable(),
  memoryBytes: z.number().int().nullable(),
  /** CPU time used since the unit started (s) */
  cpuSec: z.number().nullable(),
  tasks: z.number().int().nullable(),
  /** main process pid; null when not running */
  mainPid: z.number().int().nullable(),
});
type Unit = z.infer<typeof unitSchema>;

export const listServicesDataSchema = z.object({
  systemd: systemdSchema,
  /** failed first, then activating/deactivating, active, inactive; by name within each */
  units: z.array(unitSchema),
  /** every service unit systemd knows, before the state and pattern filters; null when systemd is not available */
  counts: z
    .object({ failed: z.number().int(), active: z.number().int(), inactive: z.number().int(), activating: z.number().int(), total: z.number().int() })
    .nullable(),
});
export type ListServicesData = z.infer<typeof listServicesDataSchema>;

const dependencySchema = z.object({ name: z.string(), relation: z.string(), load: z.string(), active: z.string(), result: z.string().nullable() });

const serviceDetailSchema = unitSchema.extend({
  /** exit status (code "exited") or signal number (killed/dumped) of the main process's last exit */
  execMainStatus: z.number().int().nullable(),
  /** exited, killed, dumped; null when it has not exited */
  execMainCode: z.string().nullable(),
  execMainPid: z.number().int().nullable(),
  fragmentPath: z.string().nullable(),
  dropIns: z.array(z.string()),
  /** MemoryMax; null = infinity */
  memoryMaxBytes: z.number().int().nullable(),
  /** TasksMax; null = infinity */
  tasksMax: z.number().int().nullable(),
  restartPolicy: z.string().nullable(),
  controlGroup: z.string().nullable(),
  /** names of Environment= variables; values are never returned */
  environmentNames: z.array(z.string()),
  /** Requires/Requisite/BindsTo/Wants units that are failed or not loaded (at most 64 dependencies checked) */
  dependenciesFailed: z.array(dependencySchema),
});
type ServiceDetail = z.infer<typeof serviceDetailSchema>;

const recentLogSchema = z.object({ ts: z.string().nullable(), priority: z.string().nullable(), message: z.string() });

export const getServiceDataSchema = z.object({
  systemd: systemdSchema,
  /** null when systemd is not available */
  unit: serviceDetailSchema.nullable(),
  /** the unit's last journal lines, oldest first, redacted */
  recentLogs: z.array(recentLogSchema),
});
export type GetServiceData = z.infer<typeof getServiceDataSchema>;

const RANK: Record<string, number> = { failed: 0, activating: 1, deactivating: 1, reloading: 1, active: 2, inactive: 3 };
export const STATE_FILTERS = ['failed', 'active', 'inactive', 'all'] as const;
type StateFilter = (typeof STATE_FILTERS)[number];

function matchesState(active: string, state: StateFilter): boolean {
  if (state === 'all') return true;
  if (state === 'active') return active === 'active' || active === 'reloading' || active === 'activating' || active === 'deactivating';
  return active === state;
}

/** Failed first, then transitional, active, inactive, others; by name within each. */
function compareUnits(a: { name: string; active: string }, b: { name: string; active: string }): number {
  return (RANK[a.active] ?? 4) - (RANK[b.active] ?? 4) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

const orNull = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

export function unitFromProps(listed: ListedUnit | null, p: Map<string, string> | undefined): Unit {
  const cpuNs = propInt(p?.get('CPUUsageNSec'));
  const pid = propInt(p?.get('MainPID'));
  return {
    name: listed?.name ?? p?.get('Id') ?? 'unknown',
    description: p?.get('Description') ?? listed?.description ?? '',
    load: p?.get('LoadState') ?? listed?.load ?? '',
    active: p?.get('ActiveState') ?? listed?.active ?? '',
    sub: p?.get('SubState') ?? listed?.sub ?? '',
    result: orNull(p?.get('Result')),
    since: propTimestamp(p?.get('StateChangeTimestamp')) ?? propTimestamp(p?.get('ActiveEnterTimestamp')),
    restarts: propInt(p?.get('NRestarts')),
    memoryBytes: propInt(p?.get('MemoryCurrent')),
    cpuSec: cpuNs === null ? null : Math.round(cpuNs / 1e6) / 1e3,
    tasks: propInt(p?.get('TasksCurrent')),
    mainPid: pid === null || pid === 0 ? null : pid,
  };
}

/** systemctl answered that there is no manager to talk to (no bus, not booted with systemd): unavailable, not an error. */
const NO_MANAGER = /not been booted with systemd|Failed to connect to bus|Host is down|Transport endpoint is not connected/i;

function noManager(error: string): SystemdStatus | null {
  return NO_MANAGER.test(error) ? { available: false, reason: `systemctl cannot reach the service manager: ${error}`, pid1Comm: null } : null;
}

function unavailable(status: SystemdStatus): { assessment: Assessment; warning: string } {
  const reason = status.reason ?? 'systemd is not available';
  return { assessment: unknownAssessment('services', 'services.systemd_unavailable', `HostInputs cannot be assessed: ${reason}`), warning: reason };
}

export function restartsAssessment(services: HostInputs, unit: Unit | undefined): Assessment {
  return assess({
    area: 'services',
    code: 'services.crash_loop',
    label: unit ? `Restarts of ${unit.name}` : 'Restarts of any listed unit',
    value: unit ? (unit.restarts ?? 0) : 0,
    spec: services.thresholds['services.restarts'],
    ...(unit ? { evidence: [`${unit.name}: ${unit.active}/${unit.sub}, result ${show(unit.result)}, restarts ${show(unit.restarts)}`] } : {}),
  });
}

interface ListServicesResult {
  /** units: every filtered unit, sorted; the tool pages it. */
  data: ListServicesData;
  assessments: Assessment[];
  warnings: string[];
  truncated: boolean;
}

export async function listServices(
  services: HostInputs,
  opts: { state: StateFilter; pattern?: RegExp | undefined },
  run: RunOpts = {},
): Promise<ListServicesResult> {
  const status = systemdStatus(services.collectors);
  const systemd = { available: status.available, reason: status.reason };
  if (!status.available) {
    const u = unavailable(status);
    return { data: { systemd, units: [], counts: null }, assessments: [u.assessment], warnings: [u.warning], truncated: false };
  }
  const listed = await listUnits(run);
  const down = listed.error ? noManager(listed.error) : null;
  if (down) {
    const u = unavailable(down);
    return { data: { systemd: { available: false, reason: down.reason }, units: [], counts: null }, assessments: [u.assessment], warnings: [u.warning], truncated: false };
  }
  if (listed.error) throw new HostlensError('unavailable', `could not list units: ${listed.error}`);
  const all = listed.value;
  rememberUnitNames(services, all.map((u) => u.name));
  const counts = { failed: 0, active: 0, inactive: 0, activating: 0, total: all.length };
  for (const u of all) {
    if (u.active === 'failed') counts.failed += 1;
    else if (u.active === 'active' || u.active === 'reloading') counts.active += 1;
    else if (u.active === 'activating' || u.active === 'deactivating') counts.activating += 1;
    else if (u.active === 'inactive') counts.inactive += 1;
  }
  const chosen = all.filter((u) => matchesState(u.active, opts.state) && (!opts.pattern || opts.pattern.test(u.name)));
  const shown = await showUnits(chosen.map((u) => u.name), LIST_PROPERTIES, run);
  if (shown.error) throw new HostlensError('unavailable', `could not read unit properties: ${shown.error}`);
  const units = chosen.map((u) => unitFromProps(u, shown.value.get(u.name))).sort(compareUnits);
  const failedNames = all.filter((u) => u.active === 'failed').map((u) => u.name);
  const worstRestarts = [...units].sort((a, b) => (b.restarts ?? 0) - (a.restarts ?? 0))[0];
  const assessments = [
    assess({
      area: 'services',
      code: 'services.failed',
      label: 'Failed units',
      value: counts.failed,
      spec: services.thresholds['services.failedUnits'],
      ...(failedNames.length ? { evidence: failedNames.slice(0, 10) } : {}),
    }),
    restartsAssessment(services, worstRestarts),
  ];
  return { data: { systemd, units, counts }, assessments, warnings: [...listed.warnings, ...shown.warnings], truncated: listed.truncated || shown.truncated };
}

const DEP_RELATIONS = ['Requires', 'Requisite', 'BindsTo', 'Wants'] as const;
const MAX_DEPS = 64;

interface ServiceDetailResult {
  systemd: { available: boolean; reason: string | null };
  unit: ServiceDetail | null;
  assessments: Assessment[];
  warnings: string[];
}

/** One unit's detail; unknown unit → not_found. The log tail is added by the tool. */
export async function readServiceDetail(services: HostInputs, unitName: string, run: RunOpts = {}): Promise<ServiceDetailResult> {
  const status = systemdStatus(services.collectors);
  const systemd = { available: status.available, reason: status.reason };
  if (!status.available) {
    const u = unavailable(status);
    return { systemd, unit: null, assessments: [u.assessment], warnings: [u.warning] };
  }
  const shown = await showUnits([unitName], DETAIL_PROPERTIES, run);
  const down = shown.error ? noManager(shown.error) : null;
  if (down) {
    const u = unavailable(down);
    return { systemd: { available: false, reason: down.reason }, unit: null, assessments: [u.assessment], warnings: [u.warning] };
  }
  if (shown.error) throw new HostlensError('unavailable', `could not read unit "${unitName}": ${shown.error}`);
  const p = [...shown.value.values()][0];
  if (!p || p.get('LoadState') === 'not-found') throw new HostlensError('not_found', `unknown unit "${unitName}": systemd has no such unit (see list_services for names)`);
  const warnings = [...shown.warnings];
  const deps: Array<{ name: string; relation: string }> = [];
  for (const relation of DEP_RELATIONS) for (const name of propList(p.get(relation))) if (!deps.some((d) => d.name === name)) deps.push({ name, relation });
  if (deps.length > MAX_DEPS) warnings.push(`${deps.length} dependencies; only the first ${MAX_DEPS} were checked`);
  const checked = deps.slice(0, MAX_DEPS);
  const dependenciesFailed: ServiceDetail['dependenciesFailed'] = [];
  if (checked.length) {
    const d = await showUnits(checked.map((x) => x.name), DEP_PROPERTIES, run);
    if (d.error) warnings.push(`dependencies not checked: ${d.error}`);
    warnings.push(...d.warnings);
    for (const dep of checked) {
      const q = d.value.get(dep.name);
      if (!q) continue;
      const load = q.get('LoadState') ?? '';
      const active = q.get('ActiveState') ?? '';
      const hardDep = dep.relation !== 'Wants';
      if (active === 'failed' || (hardDep && load !== 'loaded')) dependenciesFailed.push({ name: dep.name, relation: dep.relation, load, active, result: orNull(q.get('Result')) });
    }
  }
  const base = unitFromProps(null, p);
  const execPid = propInt(p.get('ExecMainPID'));
  const unit: ServiceDetail = {
    ...base,
    execMainStatus: propInt(p.get('ExecMainStatus')),
    execMainCode: execCodeName(p.get('ExecMainCode')),
    execMainPid: execPid === 0 ? null : execPid,
    fragmentPath: orNull(p.get('FragmentPath')),
    dropIns: propList(p.get('DropInPaths')),
    memoryMaxBytes: propInt(p.get('MemoryMax')),
    tasksMax: propInt(p.get('TasksMax')),
    restartPolicy: orNull(p.get('Restart')),
    controlGroup: orNull(p.get('ControlGroup')),
    environmentNames: environmentNames(p.get('Environment')),
    dependenciesFailed,
  };
  const failed = unit.active === 'failed';
  const looping = unit.sub === 'auto-restart';
  const assessments: Assessment[] = [
    {
      area: 'services',
      code: 'service.state',
      status: failed ? 'critical' : looping || dependenciesFailed.length ? 'warning' : 'ok',
      message: `${unit.name} is ${unit.active}/${unit.sub}${unit.result && unit.result !== 'success' ? ` (result ${unit.result})` : ''}${dependenciesFailed.length ? `; ${dependenciesFailed.length} dependencies failed or not loaded` : ''}`,
      value: null,
      threshold: null,
      unit: '',
      evidence: [`execMainCode ${unit.execMainCode ?? '-'}, execMainStatus ${unit.execMainStatus ?? '-'}`, ...dependenciesFailed.map((x) => `${x.relation} ${x.name}: ${x.load}/${x.active}`)],
    },
    restartsAssessment(services, unit),
  ];
  return { systemd, unit, assessments, warnings };
}

// ---- unit names for completion (investigate_service) ----

const NAME_TTL_MS = 30_000;
const names = new WeakMap<HostInputs, { names: string[]; at: number; refreshing: boolean }>();

function rememberUnitNames(services: HostInputs, list: string[]): void {
  names.set(services, { names: list, at: Date.now(), refreshing: false });
}

/**
 * Unit names starting with `prefix` (at most 100) from a cache that
 * list_services fills, refreshed in the background (one bounded
 * list-units at a time, 2 s limit) when older than 30 s. Completion is
 * synchronous, so a cold cache answers [] and the next request is served.
 */
export function completeUnitNames(services: HostInputs, prefix: string): string[] {
  const entry = names.get(services);
  if ((!entry || Date.now() - entry.at > NAME_TTL_MS) && !entry?.refreshing && systemdStatus(services.collectors).available) {
    names.set(services, { names: entry?.names ?? [], at: entry?.at ?? 0, refreshing: true });
    void listUnits({ timeoutMs: 2000 }).then((r) => {
      if (r.error) names.set(services, { names: entry?.names ?? [], at: Date.now(), refreshing: false });
      else rememberUnitNames(services, r.value.map((u) => u.name));
    });
  }
  return (names.get(services)?.names ?? []).filter((n) => n.startsWith(prefix)).slice(0, 100);
}
