/**
 * What the soak's clients did, per report window and in total: successful operations with their
 * latency, deliberately bad calls that got the right error (by kind), calls dropped on purpose
 * (aborted fetch, destroyed socket) and UNEXPECTED outcomes (anything else, with the message).
 */
import { percentile } from '../stats.js';

/** Operations that wait a measurement window by design: windowSec calls, get_cgroup (1 s CPU window), a capture sweep. */
const WINDOWED_OP = /\(windowSec\)|^get_cgroup$|^capture_snapshot$/;

export type ExpectedKind = 'unknown_tool' | 'bad_args' | 'bad_session' | 'unknown_resource';

export interface WindowCounts {
  ok: number;
  expected: number;
  dropped: number;
  unexpected: number;
  sessionsOpened: number;
  sessionsDeleted: number;
  sessionsAbandoned: number;
  latenciesMs: number[];
}

export interface Unexpected {
  atSec: number;
  op: string;
  message: string;
}

const empty = (): WindowCounts => ({
  ok: 0,
  expected: 0,
  dropped: 0,
  unexpected: 0,
  sessionsOpened: 0,
  sessionsDeleted: 0,
  sessionsAbandoned: 0,
  latenciesMs: [],
});

export class Recorder {
  readonly startedAt = performance.now();
  window: WindowCounts = empty();
  readonly total = empty();
  readonly expectedByKind: Record<ExpectedKind, number> = { unknown_tool: 0, bad_args: 0, bad_session: 0, unknown_resource: 0 };
  readonly okByOp = new Map<string, number>();
  readonly unexpected: Unexpected[] = [];
  unexpectedCount = 0;
  /** Calls retried once after a keep-alive race (see isKeepAliveReset in ops.ts). */
  resets = 0;
  /** Every latency of the whole run (ms), for the overall percentiles; and those of operations that do not wait a window by design. */
  private readonly all: number[] = [];
  private readonly instant: number[] = [];

  elapsedSec(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  ok(op: string, ms: number): void {
    this.window.ok += 1;
    this.total.ok += 1;
    this.window.latenciesMs.push(ms);
    this.all.push(ms);
    if (!WINDOWED_OP.test(op)) this.instant.push(ms);
    this.okByOp.set(op, (this.okByOp.get(op) ?? 0) + 1);
  }

  expected(kind: ExpectedKind): void {
    this.window.expected += 1;
    this.total.expected += 1;
    this.expectedByKind[kind] += 1;
  }

  reset(): void {
    this.resets += 1;
  }

  dropped(): void {
    this.window.dropped += 1;
    this.total.dropped += 1;
  }

  fail(op: string, error: unknown): void {
    this.window.unexpected += 1;
    this.total.unexpected += 1;
    this.unexpectedCount += 1;
    const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
    const because = cause ? ` (cause: ${String(cause.code ?? '')} ${String(cause.message ?? '')})` : '';
    const message = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)) + because;
    // Keep the first 50 verbatim; the count is exact.
    if (this.unexpected.length < 50) this.unexpected.push({ atSec: Math.round(this.elapsedSec() * 10) / 10, op, message: message.slice(0, 300) });
  }

  session(event: 'opened' | 'deleted' | 'abandoned'): void {
    const key = event === 'opened' ? 'sessionsOpened' : event === 'deleted' ? 'sessionsDeleted' : 'sessionsAbandoned';
    this.window[key] += 1;
    this.total[key] += 1;
  }

  /** Ends the current window and returns it. */
  cut(): WindowCounts {
    const w = this.window;
    this.window = empty();
    return w;
  }

  latency(which: 'all' | 'instant' = 'all'): { p50: number; p99: number; max: number; count: number } {
    return latencyOf(which === 'all' ? this.all : this.instant);
  }
}

export function latencyOf(values: readonly number[]): { p50: number; p99: number; max: number; count: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const r = (n: number): number => Math.round(n * 10) / 10;
  return { p50: r(percentile(sorted, 50)), p99: r(percentile(sorted, 99)), max: r(sorted[sorted.length - 1] ?? Number.NaN), count: sorted.length };
}
