/** Shared shapes and field helpers of the kernel message classifiers (kernel-events.ts, kernel-events-hw.ts). */

export const KERNEL_EVENT_KINDS = ['oom_kill', 'hung_task', 'io_error', 'segfault', 'link_down', 'link_up', 'fs_error', 'mce'] as const;
export type KernelEventKind = (typeof KERNEL_EVENT_KINDS)[number];

type DetailValue = string | number | boolean | null;

export interface ClassifiedEvent {
  kind: KernelEventKind;
  summary: string;
  pid: number | null;
  comm: string | null;
  cgroup: string | null;
  device: string | null;
  details: Record<string, DetailValue>;
}

/** One kernel message with its time (epoch ms, null when unknown). */
export interface KernelMessage {
  tsMs: number | null;
  message: string;
}

export interface KernelEvent extends ClassifiedEvent {
  tsMs: number | null;
  /** The message the event was classified from (not yet redacted or clipped). */
  message: string;
}

export const MAX_MESSAGE_CHARS = 4096;

export function int(s: string | undefined): number | null {
  if (s === undefined || !/^\d{1,15}$/.test(s)) return null;
  return Number(s);
}

export function kbToBytes(s: string | undefined): number | null {
  const n = int(s);
  return n === null ? null : n * 1024;
}

export function event(kind: KernelEventKind, summary: string, fields: Partial<Omit<ClassifiedEvent, 'kind' | 'summary'>> = {}): ClassifiedEvent {
  return { kind, summary, pid: fields.pid ?? null, comm: fields.comm ?? null, cgroup: fields.cgroup ?? null, device: fields.device ?? null, details: fields.details ?? {} };
}
