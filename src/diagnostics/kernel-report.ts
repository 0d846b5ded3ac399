/**
 * get_kernel_events: the kernel log over a time range from the best readable source, classified
 * (kernel-events.ts), counted per kind, redacted and clipped, and assessed.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { HostlensError } from '../contracts/errors.js';
import { MAX_SCAN, queryJournal } from '../collectors/journal.js';
import { hostNowMs, readBtimeSec, readKmsg } from '../collectors/kmsg.js';
import { clipString, epochSecToRfc3339 } from '../collectors/read.js';
import { assess, unknownAssessment } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { parseTime } from '../util/time-arg.js';
import { KERNEL_EVENT_KINDS, MAYBE_EVENT, classifyKernelMessages } from './kernel-events.js';
import type { KernelEvent, KernelEventKind, KernelMessage } from './kernel-events.js';
import { redact } from '../redaction/redact.js';

const MAX_SINCE_MS = 7 * 86_400_000;
const MESSAGE_CHARS = 400;

const detailValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const kernelEventSchema = z.object({
  /** RFC 3339 UTC time of the kernel message; null when the boot time is unknown */
  ts: z.string().nullable(),
  kind: z.enum(KERNEL_EVENT_KINDS),
  summary: z.string(),
  pid: z.number().int().nullable(),
  comm: z.string().nullable(),
  /** memory cgroup of an OOM victim (task_memcg) */
  cgroup: z.string().nullable(),
  /** block device, filesystem device, network interface or EDAC controller */
  device: z.string().nullable(),
  /** kind-specific fields: oom_kill rssBytes (anon+file+shmem), constraint; hung_task blockedSec; io_error sector, op; segfault ip, lib; link speedMbps, duplex; fs_error function; mce cpu, bank, corrected */
  details: z.record(z.string(), detailValue),
  /** the kernel message, redacted and clipped */
  message: z.string(),
});
type KernelEventOut = z.infer<typeof kernelEventSchema>;

export const kernelEventsDataSchema = z.object({
  /** where the kernel log was read: journald kernel messages, /dev/kmsg (current boot, ring buffer only), or none readable */
  source: z.enum(['journal', 'kmsg', 'none']),
  /** RFC 3339 start of the range */
  since: z.string(),
  /** matching events, newest first */
  events: z.array(kernelEventSchema),
  /** events matching the kinds filter in the range (before paging) */
  total: z.number().int(),
  /** events per kind in the range, over every kind (the kinds filter narrows only the list) */
  countsByKind: z.object(Object.fromEntries(KERNEL_EVENT_KINDS.map((k) => [k, z.number().int()])) as Record<KernelEventKind, z.ZodNumber>),
  coverage: z.object({
    /** time of the oldest record the source still held (kmsg: the ring buffer start) */
    oldestRecordAt: z.string().nullable(),
    recordsScanned: z.number().int(),
    /** false when a read bound stopped the scan before the end of the log */
    complete: z.boolean(),
  }),
  /** secrets masked in the returned messages */
  redactionsCount: z.number().int(),
});
type KernelEventsData = z.infer<typeof kernelEventsDataSchema>;

interface KernelEventsQuery {
  since?: string | undefined;
  kinds?: KernelEventKind[] | undefined;
}

interface Gathered {
  source: KernelEventsData['source'];
  messages: KernelMessage[];
  oldestMs: number | null;
  scanned: number;
  complete: boolean;
  warnings: string[];
}

/** Kernel messages since sinceMs from /dev/kmsg (kernel facility only, pre-filtered to lines that may be events). */
function fromKmsg(services: HostInputs, sinceMs: number): Gathered {
  const r = readKmsg(services.collectors, { sinceMs, keep: (rec) => rec.facility === 0 && MAYBE_EVENT.test(rec.message) });
  const warnings = [...r.warnings];
  if (!r.available) return { source: 'none', messages: [], oldestMs: null, scanned: 0, complete: false, warnings: [`dev/kmsg not readable (${r.error})`] };
  if (r.oldestMs !== null && r.oldestMs > sinceMs) {
    warnings.push(`kernel log from /dev/kmsg starts at ${epochSecToRfc3339(r.oldestMs / 1000)} (ring buffer of the current boot): older events in the range are not visible`);
  }
  return {
    source: 'kmsg',
    messages: r.records.map((x) => ({ tsMs: x.tsMs, message: x.message })),
    oldestMs: r.oldestMs,
    scanned: r.recordsRead,
    complete: r.stopped === null && r.droppedKept === 0,
    warnings,
  };
}

/** Kernel messages since sinceMs from journald (_TRANSPORT=kernel, every boot the journal holds), oldest first. */
async function fromJournal(services: HostInputs, sinceMs: number, nowMs: number, signal?: AbortSignal): Promise<{ g: Gathered | null; reason: string }> {
  const r = await queryJournal(services, { kernel: true, since: new Date(sinceMs).toISOString(), maxScan: MAX_SCAN }, { nowMs, ...(signal ? { signal } : {}) });
  if (!r.available) return { g: null, reason: r.reason ?? 'journal not readable' };
  const messages = r.entries.map((e) => ({ tsMs: Math.floor(e.tsUs / 1000), message: e.message })).reverse();
  const warnings = [...r.warnings];
  if (r.scanLimited) warnings.push(`journal: only the newest ${r.scanned} kernel messages were scanned; older events in the range may be missing`);
  return {
    g: { source: 'journal', messages, oldestMs: messages[0]?.tsMs ?? null, scanned: r.scanned, complete: !r.scanLimited, warnings },
    reason: r.warnings.length > 0 ? r.warnings.join('; ') : 'the journal holds no kernel messages in the range',
  };
}

/** journald when it holds kernel messages in the range (longer history, every boot), else /dev/kmsg. */
async function gather(services: HostInputs, sinceMs: number, nowMs: number, signal?: AbortSignal): Promise<Gathered> {
  const j = await fromJournal(services, sinceMs, nowMs, signal);
  if (j.g && j.g.scanned > 0) return j.g;
  const k = fromKmsg(services, sinceMs);
  if (k.source === 'kmsg') return { ...k, warnings: [`read /dev/kmsg (current boot only): ${j.reason}`, ...k.warnings] };
  if (j.g) return j.g;
  return { ...k, warnings: [`journal: ${j.reason}`, ...k.warnings] };
}

function toOut(e: KernelEvent, counter: { n: number }): KernelEventOut {
  const msg = redact(e.message);
  const sum = redact(e.summary);
  counter.n += msg.count + sum.count;
  return {
    ts: e.tsMs === null ? null : new Date(e.tsMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    kind: e.kind,
    summary: clipString(sum.text, MESSAGE_CHARS),
    pid: e.pid,
    comm: e.comm,
    cgroup: e.cgroup,
    device: e.device,
    details: e.details,
    message: clipString(msg.text, MESSAGE_CHARS),
  };
}

function assessKernel(services: HostInputs, counts: Record<KernelEventKind, number>, events: KernelEvent[], source: Gathered['source'], since: string): Assessment[] {
  if (source === 'none') return [unknownAssessment('kernel', 'kernel.events', 'no kernel log is readable here (neither journald kernel messages nor /dev/kmsg)', 'count')];
  const evidence = (pred: (e: KernelEvent) => boolean): string[] => events.filter(pred).slice(-3).map((e) => redact(e.summary).text);
  const t = services.thresholds;
  const uncorrected = (e: KernelEvent): boolean => e.kind === 'mce' && e.details.corrected === false;
  const per = (code: string, label: string, value: number, pred: (e: KernelEvent) => boolean): Assessment =>
    assess({ area: 'kernel', code, label: `${label} since ${since}`, value, spec: t['kernel.errorEvents'], ...(value > 0 ? { evidence: evidence(pred) } : {}) });
  return [
    assess({ area: 'kernel', code: 'kernel.oom_kills', label: `OOM kills since ${since}`, value: counts.oom_kill, spec: t['kernel.oomKills'], ...(counts.oom_kill > 0 ? { evidence: evidence((e) => e.kind === 'oom_kill') } : {}) }),
    per('kernel.hung_tasks', 'Hung task reports', counts.hung_task, (e) => e.kind === 'hung_task'),
    per('kernel.io_errors', 'Block I/O errors', counts.io_error, (e) => e.kind === 'io_error'),
    per('kernel.fs_errors', 'Filesystem errors', counts.fs_error, (e) => e.kind === 'fs_error'),
    per('kernel.mce_uncorrected', 'Uncorrected machine checks', events.filter(uncorrected).length, uncorrected),
  ];
}

interface KernelEventsResult {
  data: Omit<KernelEventsData, 'events' | 'redactionsCount'>;
  /** Every matching event, newest first, not yet redacted (the tool pages then converts). */
  matched: KernelEvent[];
  assessments: Assessment[];
  warnings: string[];
}

/** Range check and the classified events of the range; invalid_argument for a bad or too old `since`. */
export async function collectKernelEvents(services: HostInputs, q: KernelEventsQuery, signal?: AbortSignal): Promise<KernelEventsResult> {
  const ctx = services.collectors;
  const nowMs = hostNowMs(ctx, readBtimeSec(ctx));
  const sinceMs = parseTime(q.since ?? '-24h', nowMs, 'since');
  if (sinceMs < nowMs - MAX_SINCE_MS - 1000) throw new HostlensError('invalid_argument', 'since is more than 7 d ago: get_kernel_events looks back at most 7 days');
  if (sinceMs > nowMs) throw new HostlensError('invalid_argument', 'since is in the future');
  const g = await gather(services, sinceMs, nowMs, signal);
  const all = classifyKernelMessages(g.messages).filter((e) => e.tsMs === null || e.tsMs >= sinceMs);
  const counts = Object.fromEntries(KERNEL_EVENT_KINDS.map((k) => [k, 0])) as Record<KernelEventKind, number>;
  for (const e of all) counts[e.kind] += 1;
  const wanted = q.kinds && q.kinds.length > 0 ? new Set(q.kinds) : null;
  const matched = all.filter((e) => wanted === null || wanted.has(e.kind)).reverse();
  const sinceIso = new Date(sinceMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    data: {
      source: g.source,
      since: sinceIso,
      total: matched.length,
      countsByKind: counts,
      coverage: { oldestRecordAt: g.oldestMs === null ? null : epochSecToRfc3339(g.oldestMs / 1000), recordsScanned: g.scanned, complete: g.complete },
    },
    matched,
    assessments: assessKernel(services, counts, all, g.source, q.since ?? '-24h'),
    warnings: g.warnings,
  };
}

/** The returned page of events: redacted, clipped, with the number of redactions made. */
export function presentKernelEvents(events: readonly KernelEvent[]): { events: KernelEventOut[]; redactionsCount: number } {
  const counter = { n: 0 };
  return { events: events.map((e) => toOut(e, counter)), redactionsCount: counter.n };
}
