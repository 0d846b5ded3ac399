/**
 * journalctl's JSON lines → JournalEntry, either from one string (parseJournalOutput) or as stdout
 * arrives (JournalLineStream). The stream splits lines on Buffers (a UTF-8 sequence never contains the
 * byte 0x0A, so a line is decoded on its own), so the whole output never becomes one string: 20,000
 * entries are ≈ 9 MB of JSON, and with four calls at once the 9 MB strings and 20,000-entry arrays lived
 * long enough to be promoted and end in 25–51 ms Mark-Compact pauses. Lines are parsed in 5 ms slices
 * that yield to the event loop (util/slices.ts); a cancelled call stops at the next slice.
 */
import { sliceClock } from '../util/slices.js';
import type { SliceOptions } from '../util/slices.js';

export const PRIORITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
type PriorityName = (typeof PRIORITY_NAMES)[number];

export interface JournalEntry {
  /** RFC 3339 UTC with microseconds, from __REALTIME_TIMESTAMP. */
  ts: string;
  /** Epoch microseconds (for sorting/windows; not returned by tools). */
  tsUs: number;
  priority: number | null;
  priorityName: PriorityName | null;
  unit: string | null;
  identifier: string | null;
  pid: number | null;
  /** Raw MESSAGE (unredacted, unclipped: callers redact and clip before returning it). */
  message: string;
  bootId: string | null;
  transport: string | null;
}

function field(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => typeof x === 'number')) return Buffer.from(v as number[]).toString('utf8');
    const first = v.find((x) => typeof x === 'string' || Array.isArray(x));
    return first === undefined ? null : field(first);
  }
  return null;
}

function toInt(v: string | null, max: number): number | null {
  if (v === null || !/^\d{1,16}$/.test(v)) return null;
  const n = Number(v);
  return n <= max ? n : null;
}

/** The unit a message is about: systemd's own lines (from init.scope) name it in UNIT. */
function unitOf(systemdUnit: string | null, unit: string | null): string | null {
  return systemdUnit === null || systemdUnit === 'init.scope' ? (unit ?? systemdUnit) : systemdUnit;
}

/** One JSON line → an entry, or null for anything that is not a journal entry with a valid timestamp. */
export function parseJournalLine(line: string): JournalEntry | null {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const r = o as Record<string, unknown>;
  const tsUs = toInt(field(r.__REALTIME_TIMESTAMP), 8_000_000_000_000_000);
  if (tsUs === null) return null;
  const priority = toInt(field(r.PRIORITY), 7);
  const iso = new Date(Math.floor(tsUs / 1000)).toISOString();
  return {
    ts: `${iso.slice(0, 19)}.${String(tsUs % 1_000_000).padStart(6, '0')}Z`,
    tsUs,
    priority,
    priorityName: priority === null ? null : PRIORITY_NAMES[priority]!,
    unit: unitOf(field(r._SYSTEMD_UNIT), field(r.UNIT)),
    identifier: field(r.SYSLOG_IDENTIFIER) ?? field(r._COMM),
    pid: toInt(field(r._PID), 4_194_304),
    message: field(r.MESSAGE) ?? '',
    bootId: field(r._BOOT_ID),
    transport: field(r._TRANSPORT),
  };
}

/** journalctl's JSON lines → entries (garbage and a cut last line counted, never thrown). */
export function parseJournalOutput(stdout: string, cut: boolean): { entries: JournalEntry[]; garbage: number } {
  const lines = stdout.split('\n');
  if (cut) lines.pop(); // the line the output cap cut in half
  const entries: JournalEntry[] = [];
  let garbage = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const e = parseJournalLine(line);
    if (e) entries.push(e);
    else garbage += 1;
  }
  return { entries, garbage };
}

/**
 * Parses stdout chunks as they come: `push` each chunk (from runProgram's onStdout), then `await end(cut)`.
 * Every entry goes to `sink` when its MESSAGE contains `needle` (already lower-cased) or there is no needle;
 * nothing else is kept. Chunks wait in a queue (bounded by the output cap, outside the JS heap) while
 * earlier ones are parsed, so journalctl is never slowed and its time limit means what it meant before.
 */
export class JournalLineStream {
  /** Entries parsed (before grep). */
  all = 0;
  matched = 0;
  garbage = 0;
  /** Some stdout byte was not whitespace. */
  sawOutput = false;
  private readonly queue: Buffer[] = [];
  /** The unfinished line's pieces, from earlier chunks. */
  private partial: Buffer[] = [];
  /** A drain is parsing the queue (set and cleared inside drain, which may finish before it returns). */
  private running = false;
  private draining: Promise<void> = Promise.resolve();
  /** Why parsing stopped (cancellation), thrown by end(): a drain never rejects on its own, so nothing goes unhandled. */
  private failure: { error: unknown } | null = null;
  private readonly clock: ReturnType<typeof sliceClock>;

  constructor(
    private readonly sink: (e: JournalEntry) => void,
    private readonly needle: string | undefined,
    options: SliceOptions = {},
  ) {
    this.clock = sliceClock(options);
  }

  push(chunk: Buffer): void {
    if (this.failure !== null) return;
    if (!this.sawOutput) this.sawOutput = chunk.some((b) => b !== 0x20 && b !== 0x0a && b !== 0x09 && b !== 0x0d);
    this.queue.push(chunk);
    if (!this.running) this.draining = this.drain();
  }

  /** Waits for every queued chunk; the last unterminated line counts unless the output was cut. Throws if cancelled. */
  async end(cut: boolean): Promise<void> {
    while (this.running) await this.draining;
    if (this.failure !== null) throw this.failure.error;
    const rest = this.partial;
    this.partial = [];
    if (!cut && rest.length > 0) this.line(Buffer.concat(rest).toString('utf8'));
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let chunk = this.queue.shift(); chunk !== undefined; chunk = this.queue.shift()) {
        let start = 0;
        for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
          let text: string;
          if (this.partial.length > 0) {
            this.partial.push(chunk.subarray(start, nl));
            text = Buffer.concat(this.partial).toString('utf8');
            this.partial = [];
          } else text = chunk.toString('utf8', start, nl);
          start = nl + 1;
          this.line(text);
          const pause = this.clock.tick();
          if (pause) await pause;
        }
        if (start < chunk.length) this.partial.push(chunk.subarray(start));
      }
    } catch (error) {
      this.failure = { error };
      this.queue.length = 0;
    } finally {
      this.running = false;
    }
  }

  private line(text: string): void {
    if (text.trim() === '') return;
    const e = parseJournalLine(text);
    if (e === null) {
      this.garbage += 1;
      return;
    }
    this.all += 1;
    if (this.needle !== undefined && !e.message.toLowerCase().includes(this.needle)) return;
    this.matched += 1;
    this.sink(e);
  }
}
