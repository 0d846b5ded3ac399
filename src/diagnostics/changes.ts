/**
 * recent_changes: what changed on the host since a time — package installs/upgrades/removals (dpkg + apt logs),
 * allow-listed config files (the change watcher, plus files whose mtime falls in the range), unit starts,
 * stops, restarts and failures (systemd's own journal messages), the current boot, listeners that appeared
 * or went away since the watcher began, and kernel packages installed. Newest first; each source says ok or
 * unavailable, with a warning saying why.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { HostlensError } from '../contracts/errors.js';
import { readCpuStat } from '../collectors/cpu.js';
import { readPackageHistory } from '../collectors/dpkg.js';
import type { AptRun, DpkgEntry } from '../collectors/dpkg.js';
import { clipString, epochSecToRfc3339, readLine } from '../collectors/read.js';
import { createChangeWatcher } from '../collectors/change-watch.js';
import type { ChangeWatcher } from '../collectors/change-watch.js';
import { readBootBanners, readServiceChanges } from './changes-journal.js';
import type { BootBanner } from './changes-journal.js';
import { parseTime } from '../util/time-arg.js';
import { ifKnown, show } from '../util/missing.js';
import { redact } from '../redaction/redact.js';
import { compareCodeUnits } from '../util/compare.js';

export const CHANGE_KINDS = ['package', 'config', 'service', 'reboot', 'listener', 'kernel'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
const MAX_SINCE_MS = 30 * 86_400_000;
const DETAIL_CHARS = 300;

interface Change {
  tsMs: number;
  kind: ChangeKind;
  action: string;
  subject: string;
  detail: string;
}

const SOURCE_STATUS = z.enum(['ok', 'unavailable']);
const changeSchema = z.object({
  /** when it happened (RFC 3339 UTC); for a watched file, its new mtime */
  ts: z.string(),
  kind: z.enum(CHANGE_KINDS),
  /** install, upgrade, remove, purge, created, modified, deleted, started, stopped, restarted, failed, reloaded, booted, opened, closed */
  action: z.string(),
  /** package, file path, unit, listener ("tcp 0.0.0.0:8080") or kernel release */
  subject: z.string(),
  /** versions, apt command line (redacted), owner pid/comm; for a config file only created/modified/deleted and whether the content changed (never a digest or size) */
  detail: z.string(),
});
export type ChangeOut = z.infer<typeof changeSchema>;

export const changesDataSchema = z.object({
  /** start of the range (RFC 3339 UTC) */
  since: z.string(),
  /** newest first */
  changes: z.array(changeSchema),
  /** changes in the range for the requested kinds (all pages) */
  matched: z.number().int(),
  /** changes per kind over all pages */
  countsByKind: z.record(z.string(), z.number().int()),
  /** per requested kind: ok, or unavailable (the warnings say why) */
  sources: z.record(z.string(), SOURCE_STATUS),
  /** the config/listener watcher; null when it is not running in this server */
  watch: z
    .object({
      /** when the watcher took its baseline: config edits and new listeners before it are not seen */
      baselineAt: z.string().nullable(),
      intervalSec: z.number(),
      filesWatched: z.number().int(),
    })
    .nullable(),
  /** secrets masked in the details of all matched changes (apt command lines, journal messages) */
  redactions: z.number().int(),
});
export type ChangesData = z.infer<typeof changesDataSchema>;

/** Epoch ms of `since` (relative or RFC 3339), refused beyond 30 days or in the future. */
function resolveSince(since: string, nowMs: number): number {
  const t = parseTime(since, nowMs, 'since');
  if (t < nowMs - MAX_SINCE_MS - 1000) throw new HostlensError('invalid_argument', 'since is more than 30 days ago: use e.g. "-7d", "-30d" or a later RFC 3339 time');
  if (t > nowMs) throw new HostlensError('invalid_argument', 'since is in the future');
  return t;
}

function versionDetail(e: DpkgEntry): string {
  if (e.action === 'install') return `installed${ifKnown(e.toVersion, (v) => ` ${v}`)}${e.fromVersion ? ` (over ${e.fromVersion})` : ''}`;
  if (e.action === 'upgrade') return `${show(e.fromVersion)} → ${show(e.toVersion)}`;
  if (e.action === 'remove') return `removed ${e.fromVersion ?? ''} (config files kept)`.replace('  ', ' ');
  return `purged ${e.fromVersion ?? ''} (config files removed)`.replace('  ', ' ');
}

/** "nginx:amd64 (1.22.1-9, automatic)" → "installed 1.22.1-9 (automatic)"; "(1.0, 2.0)" of an upgrade → "1.0 → 2.0". */
export function aptVersionDetail(action: string, entry: string): string {
  const parts = (/\((.*)\)/.exec(entry)?.[1] ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const auto = parts.includes('automatic') ? ' (automatic)' : '';
  const v = parts.filter((x) => x !== 'automatic');
  if ((action === 'upgrade' || action === 'downgrade') && v.length === 2) return `${v[0]} → ${v[1]}`;
  const verb = action === 'install' ? 'installed' : action === 'remove' ? 'removed' : action === 'purge' ? 'purged' : `${action}`;
  return `${verb} ${v.join(', ')}${auto}`.trim();
}

/** The apt run whose Start..End covers ts (a few seconds of slack), for its command line. */
function aptRunAt(runs: readonly AptRun[], ts: number): AptRun | undefined {
  return runs.find((r) => ts >= r.startMs - 2000 && ts <= (r.endMs ?? r.startMs + 3_600_000) + 2000);
}

interface Acc {
  out: Change[];
  warnings: string[];
  redactions: number;
}

function redacted(acc: Acc, text: string): string {
  const r = redact(text);
  acc.redactions += r.count;
  return r.text;
}

function packageChanges(services: HostInputs, sinceMs: number, acc: Acc, wantKernel: boolean): boolean {
  const h = readPackageHistory(services.collectors, sinceMs);
  acc.warnings.push(...h.warnings);
  if (!h.dpkgFound && !h.aptFound) {
    acc.warnings.push('package: neither /var/log/dpkg.log nor /var/log/apt/history.log exists (not a Debian-family host, or logs removed)');
    return false;
  }
  const via = (ts: number) => {
    const run = aptRunAt(h.apt, ts);
    return run?.commandline ? `; via "${redacted(acc, run.commandline)}"${run.requestedBy ? ` by ${run.requestedBy}` : ''}` : '';
  };
  const running = readLine(join(services.collectors.root, 'proc/sys/kernel/osrelease'), 256);
  const push = (tsMs: number, action: string, pkg: string, detail: string) => {
    acc.out.push({ tsMs, kind: 'package', action, subject: pkg, detail });
    const m = /^linux-image-(\d[^:]*)/.exec(pkg);
    if (wantKernel && m && (action === 'install' || action === 'upgrade')) {
      const release = m[1]!;
      const note = running === null ? 'running kernel unknown' : running === release ? 'it is the running kernel' : `running ${running}: a reboot is needed to use it`;
      acc.out.push({ tsMs, kind: 'kernel', action: 'installed', subject: release, detail: `kernel ${release} installed (${pkg}); ${note}` });
    }
  };
  if (h.dpkgFound) {
    for (const e of h.dpkg) push(e.tsMs, e.action, e.package, `${versionDetail(e)}${via(e.tsMs)}`);
  } else {
    // dpkg.log gone: fall back to apt's own record of each run.
    for (const r of h.apt) {
      const cmd = r.commandline ? `; via "${redacted(acc, r.commandline)}"` : '';
      for (const a of r.actions) for (const p of a.packages) push(r.endMs ?? r.startMs, a.action, p.replace(/\s*\(.*$/, ''), `${aptVersionDetail(a.action, p)}${cmd}`);
    }
  }
  return true;
}

/** A watcher that has taken its baseline: the running one, else a one-off scan now (mtimes only are meaningful). */
async function watcherFor(services: HostInputs): Promise<{ w: ChangeWatcher; running: boolean }> {
  const w = services.changeWatch;
  if (w && w.baselineAtMs !== null) return { w, running: true };
  const once = createChangeWatcher({
    ctx: services.collectors,
    configFiles: services.limits.configFiles,
    watchListeners: false,
    maxHashBytes: -1,
    ...(services.protectedFiles ? { protect: services.protectedFiles } : {}),
  });
  await once.scan();
  return { w: once, running: false };
}

function configChanges(w: ChangeWatcher, running: boolean, sinceMs: number, acc: Acc): void {
  const seen = new Set<string>();
  if (running) {
    for (const c of w.changes()) {
      if (c.kind !== 'config' || c.tsMs < sinceMs) continue;
      acc.out.push({ tsMs: c.tsMs, kind: 'config', action: c.action, subject: c.subject, detail: c.detail });
      seen.add(c.subject);
    }
  }
  for (const [path, f] of w.files()) {
    if (f.mtimeMs < sinceMs || seen.has(path)) continue;
    acc.out.push({ tsMs: f.mtimeMs, kind: 'config', action: 'modified', subject: path, detail: 'modified (mtime), content change not observed' });
  }
  acc.warnings.push(...w.warnings());
}

function listenerChanges(w: ChangeWatcher | undefined, sinceMs: number, acc: Acc): boolean {
  if (!w || w.baselineAtMs === null) {
    acc.warnings.push('listener: the change watcher has not taken its baseline yet (or is off in this server): new listeners cannot be told apart');
    return false;
  }
  for (const c of w.changes()) if (c.kind === 'listener' && c.tsMs >= sinceMs) acc.out.push({ tsMs: c.tsMs, kind: 'listener', action: c.action, subject: c.subject, detail: c.detail });
  if (w.baselineAtMs > sinceMs) acc.warnings.push(`listener: only listeners opened after ${epochSecToRfc3339(w.baselineAtMs / 1000)} (watcher baseline) are known`);
  return true;
}

/**
 * Boots in the range (the current one from proc/stat btime, earlier ones from the kernel's journal banners) as
 * reboot changes, and a kernel change wherever a boot ran another release than the boot before it.
 */
async function bootChanges(services: HostInputs, sinceMs: number, nowMs: number, kinds: ReadonlySet<ChangeKind>, acc: Acc, signal?: AbortSignal): Promise<{ reboot: boolean; kernel: boolean }> {
  const root = services.collectors.root;
  const btime = readCpuStat(services.collectors).bootTimeSec;
  const running = readLine(join(root, 'proc/sys/kernel/osrelease'), 256);
  const currentId = readLine(join(root, 'proc/sys/kernel/random/boot_id'), 128)?.replace(/-/g, '') ?? null;
  const j = await readBootBanners(services, { sinceMs, nowMs, signal });
  acc.warnings.push(...j.warnings);
  const boots: Array<Omit<BootBanner, 'release'> & { release: string | null; current: boolean; from: string }> = j.boots.map((b) => ({
    ...b,
    from: 'kernel banner in the journal',
    current: (currentId !== null && b.bootId === currentId) || (btime !== null && Math.abs(b.tsMs - btime * 1000) < 120_000),
  }));
  if (btime !== null && !boots.some((b) => b.current) && btime * 1000 >= sinceMs) boots.push({ bootId: currentId, tsMs: btime * 1000, release: running, current: true, from: 'proc/stat btime' });
  boots.sort((a, b) => a.tsMs - b.tsMs);
  for (let i = 0; i < boots.length; i++) {
    const b = boots[i]!;
    acc.out.push({ tsMs: b.tsMs, kind: 'reboot', action: 'booted', subject: b.current ? 'current boot' : b.bootId ? `boot ${b.bootId.slice(0, 12)}` : 'earlier boot', detail: `host booted${ifKnown(b.release, (r) => ` kernel ${r}`)} (${b.from})` });
    const prev = boots[i - 1];
    if (prev && prev.release !== null && b.release !== null && prev.release !== b.release) acc.out.push({ tsMs: b.tsMs, kind: 'kernel', action: 'changed', subject: b.release, detail: `booted kernel ${b.release}; the boot before ran ${prev.release}` });
  }
  if (btime === null && kinds.has('reboot')) acc.warnings.push('reboot: proc/stat btime is not readable');
  if (!j.available && kinds.has('reboot')) acc.warnings.push('reboot: no journal here, so only the current boot can be listed');
  return { reboot: btime !== null || j.available, kernel: j.available };
}

interface CollectChangesOptions {
  since: string;
  kinds?: readonly ChangeKind[] | undefined;
  nowMs?: number;
  signal?: AbortSignal;
}

interface CollectedChanges {
  sinceMs: number;
  changes: Change[];
  countsByKind: Record<string, number>;
  sources: Record<string, 'ok' | 'unavailable'>;
  watch: ChangesData['watch'];
  redactions: number;
  warnings: string[];
}

export async function collectChanges(services: HostInputs, opts: CollectChangesOptions): Promise<CollectedChanges> {
  const nowMs = opts.nowMs ?? Date.now();
  const sinceMs = resolveSince(opts.since, nowMs);
  const kinds = new Set<ChangeKind>(opts.kinds && opts.kinds.length > 0 ? opts.kinds : CHANGE_KINDS);
  const acc: Acc = { out: [], warnings: [], redactions: 0 };
  const sources: Record<string, 'ok' | 'unavailable'> = {};
  const ok = (k: ChangeKind, v: boolean) => {
    if (kinds.has(k)) sources[k] = v ? 'ok' : 'unavailable';
  };
  if (kinds.has('package') || kinds.has('kernel')) {
    const found = packageChanges(services, sinceMs, acc, kinds.has('kernel'));
    ok('package', found);
    ok('kernel', found);
  }
  const { w, running } = await watcherFor(services);
  if (kinds.has('config')) {
    configChanges(w, running, sinceMs, acc);
    if (!running) acc.warnings.push('config: the change watcher is not running here: files are reported by mtime only (content not compared)');
    ok('config', true);
  }
  if (kinds.has('listener')) ok('listener', listenerChanges(services.changeWatch, sinceMs, acc));
  if (kinds.has('reboot') || kinds.has('kernel')) {
    const b = await bootChanges(services, sinceMs, nowMs, kinds, acc, opts.signal);
    ok('reboot', b.reboot);
    if (kinds.has('kernel')) sources.kernel = b.kernel || sources.kernel === 'ok' ? 'ok' : 'unavailable';
  }
  if (kinds.has('service')) {
    const s = await readServiceChanges(services, { sinceMs, nowMs, signal: opts.signal });
    for (const c of s.changes) acc.out.push({ ...c, detail: redacted(acc, c.detail) });
    acc.warnings.push(...s.warnings);
    ok('service', s.available);
  }
  const changes = acc.out
    .filter((c) => kinds.has(c.kind) && c.tsMs >= sinceMs && c.tsMs <= nowMs + 60_000)
    .map((c) => ({ ...c, subject: clipString(c.subject, 200), detail: clipString(c.detail, DETAIL_CHARS) }))
    .sort((a, b) => b.tsMs - a.tsMs || compareCodeUnits(a.kind, b.kind) || compareCodeUnits(a.subject, b.subject));
  const countsByKind: Record<string, number> = {};
  for (const k of kinds) countsByKind[k] = 0;
  for (const c of changes) countsByKind[c.kind] = (countsByKind[c.kind] ?? 0) + 1;
  const sw = services.changeWatch;
  const watch = sw ? { baselineAt: sw.baselineAtMs === null ? null : epochSecToRfc3339(sw.baselineAtMs / 1000), intervalSec: sw.intervalMs / 1000, filesWatched: sw.files().size } : null;
  return { sinceMs, changes, countsByKind, sources, watch, redactions: acc.redactions, warnings: acc.warnings };
}

export function toChangeOut(c: Change): ChangeOut {
  return { ts: epochSecToRfc3339(c.tsMs / 1000), kind: c.kind, action: c.action, subject: c.subject, detail: c.detail };
}
