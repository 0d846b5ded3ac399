/**
 * The journal's part of recent_changes, read with the shared bounded journal query (collectors/journal.ts):
 * unit starts, stops, reloads, restarts and failures from systemd's own messages (SYSLOG_IDENTIFIER=systemd,
 * _PID=1), and boots with their kernel release from the kernel's "Linux version …" banner (first line of a boot).
 */
import type { HostInputs } from './host-inputs.js';
import { queryJournal } from '../collectors/journal.js';
import type { JournalQuery } from '../collectors/journal.js';

interface ServiceChange {
  tsMs: number;
  kind: 'service';
  action: 'started' | 'stopped' | 'reloaded' | 'restarted' | 'failed';
  subject: string;
  detail: string;
}

const SCAN = 5_000;

/** systemd ≥ 249 writes "Started foo.service - Description."; older ones only the description. */
const PATTERNS: ReadonlyArray<readonly [RegExp, ServiceChange['action']]> = [
  [/^(\S+): Failed with result '([^']+)'\.?$/, 'failed'],
  [/^(\S+): Scheduled restart job, restart counter is at (\d+)\.?$/, 'restarted'],
  [/^Started (.+?)\.?$/, 'started'],
  [/^Stopped (.+?)\.?$/, 'stopped'],
  [/^Reloaded (.+?)\.?$/, 'reloaded'],
];

/** One systemd message → a change, or null when it is not one of the five kinds. */
export function classifyServiceMessage(message: string, tsMs: number): ServiceChange | null {
  for (const [re, action] of PATTERNS) {
    const m = re.exec(message.trim());
    if (!m) continue;
    const named = /^(\S+\.(?:service|socket|timer|mount|target|path|scope|slice|swap|automount|device))(?: - .*)?$/.exec(m[1]!);
    const subject = named ? named[1]! : m[1]!;
    const detail =
      action === 'failed' ? `failed with result '${m[2]}'` : action === 'restarted' ? `scheduled restart, restart counter ${m[2]}` : message.trim();
    return { tsMs, kind: 'service', action, subject, detail };
  }
  return null;
}

/** The range both queries share. */
interface JournalRange {
  sinceMs: number;
  nowMs: number;
  signal?: AbortSignal | undefined;
}

function queryRange(services: HostInputs, range: JournalRange, q: Omit<JournalQuery, 'since' | 'maxScan'>) {
  const since = new Date(range.sinceMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return queryJournal(services, { ...q, since, maxScan: SCAN }, { nowMs: range.nowMs, ...(range.signal ? { signal: range.signal } : {}) });
}

export async function readServiceChanges(services: HostInputs, range: JournalRange): Promise<{ available: boolean; changes: ServiceChange[]; warnings: string[] }> {
  const r = await queryRange(services, range, { identifier: 'systemd' });
  if (!r.available) return { available: false, changes: [], warnings: [`service: ${r.reason ?? 'the journal is not readable'}`] };
  const changes: ServiceChange[] = [];
  for (const e of r.entries) {
    if (e.pid !== null && e.pid !== 1) continue;
    const c = classifyServiceMessage(e.message, Math.floor(e.tsUs / 1000));
    if (c) changes.push(c);
  }
  const warnings = r.warnings.map((w) => `service: ${w}`);
  if (r.scanLimited) warnings.push(`service: only the newest ${r.scanned} systemd journal messages were read; older unit changes in the range are not listed`);
  return { available: true, changes, warnings };
}

export interface BootBanner {
  bootId: string | null;
  tsMs: number;
  /** "6.1.0-28-amd64" */
  release: string;
}

/** The kernel's boot banners in the range, oldest first (within the newest SCAN kernel messages). */
export async function readBootBanners(services: HostInputs, range: JournalRange): Promise<{ available: boolean; boots: BootBanner[]; warnings: string[] }> {
  const r = await queryRange(services, range, { kernel: true, grep: 'Linux version ' });
  if (!r.available) return { available: false, boots: [], warnings: [] };
  const boots: BootBanner[] = [];
  for (const e of r.entries) {
    const m = /^Linux version (\S+)/.exec(e.message);
    if (m) boots.push({ bootId: e.bootId, tsMs: Math.floor(e.tsUs / 1000), release: m[1]! });
  }
  boots.sort((a, b) => a.tsMs - b.tsMs);
  const warnings = r.scanLimited ? [`reboot: only the newest ${r.scanned} kernel messages were searched for boot banners; earlier boots in the range are not listed`] : [];
  return { available: true, boots, warnings };
}
