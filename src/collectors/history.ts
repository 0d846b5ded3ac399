/**
 * Bounded in-memory history of the sampler's host metrics: two rings of typed arrays,
 *  - '1s': one entry per sampler tick (1 s at the default interval), 900 entries = 15 min;
 *  - '1m': one entry per wall-clock minute, the MEAN of that minute's ticks plus the minute's MAX, 1440 entries = 24 h.
 * Each ring keeps a Float64Array of epoch-ms timestamps and one Float32Array column per metric (the 1 m ring a second
 * column for the maxima); a metric absent in a tick (unreadable file, first tick of a rate, device gone) stores NaN.
 * The minute in progress is kept in per-metric accumulators and served as the newest 1 m point.
 *
 * Metric names: a fixed set (STATIC_METRICS) and per-key families `disk.<dev>.*`, `net.<if>.*`, `fs.<mount>.usedPct`.
 * Each family admits at most `maxKeysPerFamily` (16) keys, FIRST SEEN WINS for the process lifetime; later keys are
 * not recorded and reported by droppedKeys(). A metric's columns are allocated when its name is first recorded, so
 * memory grows with the metrics seen, up to the fixed bound maxMemoryBytes():
 *   memoryBytes = 8·(n1s + n1m)                          timestamps (Float64)
 *               + 20·maxSlots                            minute accumulators (sum, max: Float64; count: Uint32)
 *               + metrics · 4·(n1s + 2·n1m)              columns (Float32: 1 s value, 1 m mean, 1 m max)
 * With the defaults (900, 1440, 16 static metrics + 16 keys × 6 family metrics = 112 slots): 18,720 + 2,240 +
 * 15,120 per metric → 1,714,400 bytes at most; ≈ 0.5 MB on a host with 2 disks, 2 interfaces and 5 filesystems.
 */

export type Resolution = '1s' | '1m';

interface MetricInfo {
  name: string;
  /** '%', 'bytes', 'bytes/s', '/s', 'load', 'count'. */
  unit: string;
  description: string;
}

export const STATIC_METRICS: readonly MetricInfo[] = [
  { name: 'cpu.busyPct', unit: '%', description: 'CPU busy (100 − idle − iowait), all CPUs, over the tick' },
  { name: 'cpu.iowaitPct', unit: '%', description: 'CPU time idle waiting on I/O over the tick' },
  { name: 'cpu.stealPct', unit: '%', description: 'CPU time stolen by the hypervisor over the tick' },
  { name: 'load.1', unit: 'load', description: '1-minute load average (proc/loadavg)' },
  { name: 'mem.availableBytes', unit: 'bytes', description: 'MemAvailable' },
  { name: 'mem.usedPct', unit: '%', description: '(MemTotal − MemAvailable) / MemTotal' },
  { name: 'swap.usedBytes', unit: 'bytes', description: 'swap in use (SwapTotal − SwapFree)' },
  { name: 'mem.majorFaultsPerSec', unit: '/s', description: 'major page faults per second over the tick' },
  { name: 'psi.cpu.some', unit: '%', description: 'PSI cpu some: share of the tick some task waited for CPU (from the total stall µs, not avg10)' },
  { name: 'psi.memory.some', unit: '%', description: 'PSI memory some: share of the tick some task stalled on memory (total µs delta)' },
  { name: 'psi.memory.full', unit: '%', description: 'PSI memory full: share of the tick all tasks stalled on memory (total µs delta)' },
  { name: 'psi.io.some', unit: '%', description: 'PSI io some: share of the tick some task stalled on I/O (total µs delta)' },
  { name: 'psi.io.full', unit: '%', description: 'PSI io full: share of the tick all tasks stalled on I/O (total µs delta)' },
  { name: 'tcp.retransPct', unit: '%', description: 'TCP segments retransmitted / segments sent over the tick' },
  { name: 'procs.running', unit: 'count', description: 'runnable threads (proc/stat procs_running)' },
  { name: 'procs.blocked', unit: 'count', description: 'threads in uninterruptible sleep (proc/stat procs_blocked)' },
];

/** Per-key metric families: `<family>.<key>.<suffix>`. */
export const FAMILY_METRICS: Readonly<Record<string, ReadonlyArray<{ suffix: string; unit: string; description: string }>>> = {
  disk: [
    { suffix: 'utilPct', unit: '%', description: 'share of the tick the block device had I/O in flight' },
    { suffix: 'readBytesPerSec', unit: 'bytes/s', description: 'bytes read per second' },
    { suffix: 'writeBytesPerSec', unit: 'bytes/s', description: 'bytes written per second' },
  ],
  net: [
    { suffix: 'rxBytesPerSec', unit: 'bytes/s', description: 'bytes received per second' },
    { suffix: 'txBytesPerSec', unit: 'bytes/s', description: 'bytes sent per second' },
  ],
  fs: [{ suffix: 'usedPct', unit: '%', description: 'filesystem space used (df semantics)' }],
};

export interface HistoryOptions {
  /** Entries of the per-tick ring (default 900). */
  points1s?: number;
  /** Entries of the per-minute ring (default 1440). */
  points1m?: number;
  /** Keys admitted per family (disk devices, interfaces, mounts; default 16). */
  maxKeysPerFamily?: number;
  /** Nominal ms between ticks (the sampler interval, default ONE_SECOND_STEP_MS): the 1 s ring's step. */
  tickMs?: number;
}

export interface SeriesData {
  resolution: Resolution;
  /** Epoch ms of each point (tick time; minute start for '1m'), oldest first. */
  times: number[];
  /** NaN where the metric was absent. */
  values: number[];
  /** '1m' only: the maximum of each minute's ticks. */
  maxValues?: number[];
}

interface Coverage {
  fromMs: number;
  toMs: number;
  points: number;
}

const MINUTE_MS = 60_000;
/** The 1 s ring's step; the sampler's default interval is this, so each tick is one point of that ring. */
export const ONE_SECOND_STEP_MS = 1000;

/** One ring: timestamps plus one Float32 column per metric slot (and a max column for the minute ring). */
class Ring {
  readonly times: Float64Array;
  readonly cols: Float32Array[] = [];
  readonly maxCols: Float32Array[] | null;
  head = 0;
  size = 0;

  constructor(
    readonly capacity: number,
    withMax: boolean,
  ) {
    this.times = new Float64Array(capacity);
    this.maxCols = withMax ? [] : null;
  }

  addColumn(): void {
    this.cols.push(new Float32Array(this.capacity).fill(Number.NaN));
    this.maxCols?.push(new Float32Array(this.capacity).fill(Number.NaN));
  }

  /** Claims the next entry for time t, every column NaN; returns its index. */
  advance(t: number): number {
    const i = this.head;
    this.times[i] = t;
    for (const c of this.cols) c[i] = Number.NaN;
    if (this.maxCols) for (const c of this.maxCols) c[i] = Number.NaN;
    this.head = (i + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    return i;
  }

  /** Physical indexes, oldest first. */
  *indexes(): Generator<number> {
    const start = (this.head - this.size + this.capacity) % this.capacity;
    for (let k = 0; k < this.size; k++) yield (start + k) % this.capacity;
  }

  bytes(): number {
    let n = this.times.byteLength;
    for (const c of this.cols) n += c.byteLength;
    for (const c of this.maxCols ?? []) n += c.byteLength;
    return n;
  }
}

function familyOf(name: string): { family: string; key: string } | null {
  const first = name.indexOf('.');
  const last = name.lastIndexOf('.');
  if (first <= 0 || last <= first + 1) return null;
  const family = name.slice(0, first);
  const suffix = name.slice(last + 1);
  if (!FAMILY_METRICS[family]?.some((m) => m.suffix === suffix)) return null;
  return { family, key: name.slice(first + 1, last) };
}

const STATIC_BY_NAME = new Map(STATIC_METRICS.map((m) => [m.name, m]));
const FAMILY_SLOTS = Object.values(FAMILY_METRICS).reduce((n, list) => n + list.length, 0);
/** Dropped keys remembered per family (names only, for the warning). */
const MAX_DROPPED_LISTED = 16;

/** Describes a metric name: static, or a well-formed family name; null for anything else. */
export function describeMetric(name: string): MetricInfo | null {
  const s = STATIC_BY_NAME.get(name);
  if (s) return s;
  const f = familyOf(name);
  if (!f) return null;
  const m = FAMILY_METRICS[f.family]!.find((x) => name.endsWith(`.${x.suffix}`))!;
  return { name, unit: m.unit, description: `${f.family} ${f.key}: ${m.description}` };
}

export class MetricHistory {
  readonly points1s: number;
  readonly points1m: number;
  readonly maxKeysPerFamily: number;
  readonly maxSlots: number;
  readonly tickMs: number;
  private readonly names: string[] = [];
  private readonly slots = new Map<string, number>();
  private readonly familyKeys = new Map<string, Set<string>>();
  private readonly dropped = new Map<string, { names: Set<string>; count: number }>();
  private readonly r1s: Ring;
  private readonly r1m: Ring;
  private readonly accSum: Float64Array;
  private readonly accMax: Float64Array;
  private readonly accCount: Uint32Array;
  private accMinute = Number.NaN;

  constructor(opts: HistoryOptions = {}) {
    this.points1s = Math.max(2, Math.floor(opts.points1s ?? 900));
    this.points1m = Math.max(2, Math.floor(opts.points1m ?? 1440));
    this.maxKeysPerFamily = Math.max(0, Math.floor(opts.maxKeysPerFamily ?? 16));
    this.tickMs = Math.max(1, opts.tickMs ?? ONE_SECOND_STEP_MS);
    this.maxSlots = STATIC_METRICS.length + this.maxKeysPerFamily * FAMILY_SLOTS;
    this.r1s = new Ring(this.points1s, false);
    this.r1m = new Ring(this.points1m, true);
    this.accSum = new Float64Array(this.maxSlots);
    this.accMax = new Float64Array(this.maxSlots);
    this.accCount = new Uint32Array(this.maxSlots);
  }

  /** True when `name` is recorded already or would be admitted (static, or its family has room for its key). */
  accepts(name: string): boolean {
    if (this.slots.has(name) || STATIC_BY_NAME.has(name)) return true;
    const f = familyOf(name);
    if (!f) return false;
    const keys = this.familyKeys.get(f.family);
    return keys?.has(f.key) === true || (keys?.size ?? 0) < this.maxKeysPerFamily;
  }

  private slotOf(name: string): number {
    const known = this.slots.get(name);
    if (known !== undefined) return known;
    if (!STATIC_BY_NAME.has(name)) {
      const f = familyOf(name);
      if (!f) return -1;
      let keys = this.familyKeys.get(f.family);
      if (!keys) this.familyKeys.set(f.family, (keys = new Set()));
      if (!keys.has(f.key)) {
        if (keys.size >= this.maxKeysPerFamily) {
          let d = this.dropped.get(f.family);
          if (!d) this.dropped.set(f.family, (d = { names: new Set(), count: 0 }));
          if (!d.names.has(f.key)) {
            d.count++;
            if (d.names.size < MAX_DROPPED_LISTED) d.names.add(f.key);
          }
          return -1;
        }
        keys.add(f.key);
      }
    }
    const slot = this.names.length;
    if (slot >= this.maxSlots) return -1;
    this.names.push(name);
    this.slots.set(name, slot);
    this.r1s.addColumn();
    this.r1m.addColumn();
    return slot;
  }

  /** Records one tick at wall-clock epochMs. Names that are unknown or beyond a family's cap are ignored. */
  record(epochMs: number, values: ReadonlyArray<readonly [string, number | null]>): void {
    if (!Number.isFinite(epochMs)) return;
    const minute = Math.floor(epochMs / MINUTE_MS);
    if (minute !== this.accMinute) {
      this.flushMinute();
      this.accMinute = minute;
    }
    const i = this.r1s.advance(epochMs);
    for (const [name, v] of values) {
      const slot = this.slotOf(name);
      if (slot < 0 || v === null || !Number.isFinite(v)) continue;
      this.r1s.cols[slot]![i] = v;
      this.accSum[slot]! += v;
      this.accMax[slot] = this.accCount[slot] === 0 ? v : Math.max(this.accMax[slot]!, v);
      this.accCount[slot]!++;
    }
  }

  private flushMinute(): void {
    if (Number.isNaN(this.accMinute)) return;
    const i = this.r1m.advance(this.accMinute * MINUTE_MS);
    for (let s = 0; s < this.names.length; s++) {
      if (this.accCount[s]! > 0) {
        this.r1m.cols[s]![i] = this.accSum[s]! / this.accCount[s]!;
        this.r1m.maxCols![s]![i] = this.accMax[s]!;
      }
    }
    this.accSum.fill(0);
    this.accMax.fill(0);
    this.accCount.fill(0);
  }

  /** Every name recorded so far, in order of first appearance. */
  metricNames(): string[] {
    return [...this.names];
  }

  /** Static metrics (always valid) and every family metric recorded so far. */
  metrics(): MetricInfo[] {
    const out = [...STATIC_METRICS];
    for (const n of this.names) if (!STATIC_BY_NAME.has(n)) out.push(describeMetric(n)!);
    return out;
  }

  /** Keys that arrived after their family was full, per family (≤ 16 names listed each, plus the count). */
  droppedKeys(): Record<string, { count: number; keys: string[] }> {
    const out: Record<string, { count: number; keys: string[] }> = {};
    for (const [f, d] of this.dropped) out[f] = { count: d.count, keys: [...d.names] };
    return out;
  }

  /** Seconds between entries of a ring: the sampler interval for '1s', 60 for '1m'. */
  stepSec(resolution: Resolution): number {
    return resolution === '1s' ? this.tickMs / 1000 : 60;
  }

  /** Oldest and newest entry times (the '1m' ring includes the minute in progress); null when empty. */
  coverage(resolution: Resolution): Coverage | null {
    const ring = resolution === '1s' ? this.r1s : this.r1m;
    const partial = resolution === '1m' && !Number.isNaN(this.accMinute);
    const points = ring.size + (partial ? 1 : 0);
    if (points === 0) return null;
    const oldest = ring.size > 0 ? ring.times[ring.indexes().next().value!]! : this.accMinute * MINUTE_MS;
    const newest = partial ? this.accMinute * MINUTE_MS : ring.times[(ring.head - 1 + ring.capacity) % ring.capacity]!;
    return { fromMs: oldest, toMs: newest, points };
  }

  /** The stored points of one metric with fromMs ≤ t ≤ toMs, oldest first; null for a name never recorded. */
  series(name: string, fromMs: number, toMs: number, resolution: Resolution): SeriesData | null {
    const slot = this.slots.get(name);
    if (slot === undefined) return null;
    const ring = resolution === '1s' ? this.r1s : this.r1m;
    const col = ring.cols[slot]!;
    const maxCol = ring.maxCols?.[slot];
    const out: SeriesData = { resolution, times: [], values: [], ...(maxCol ? { maxValues: [] } : {}) };
    for (const i of ring.indexes()) {
      const t = ring.times[i]!;
      if (t < fromMs || t > toMs) continue;
      out.times.push(t);
      out.values.push(col[i]!);
      out.maxValues?.push(maxCol![i]!);
    }
    if (resolution === '1m' && !Number.isNaN(this.accMinute)) {
      const t = this.accMinute * MINUTE_MS;
      if (t >= fromMs && t <= toMs) {
        const n = this.accCount[slot]!;
        out.times.push(t);
        out.values.push(n > 0 ? this.accSum[slot]! / n : Number.NaN);
        out.maxValues!.push(n > 0 ? this.accMax[slot]! : Number.NaN);
      }
    }
    return out;
  }

  /** Bytes held by the typed arrays now (grows as metrics are first seen, bounded by maxMemoryBytes()). */
  memoryBytes(): number {
    return this.r1s.bytes() + this.r1m.bytes() + this.accSum.byteLength + this.accMax.byteLength + this.accCount.byteLength;
  }

  /** The bound: memoryBytes() once every slot (16 static + 16 keys × 6 family metrics by default) is in use. */
  maxMemoryBytes(): number {
    return 8 * (this.points1s + this.points1m) + 20 * this.maxSlots + this.maxSlots * 4 * (this.points1s + 2 * this.points1m);
  }
}

export function createHistory(opts: HistoryOptions = {}): MetricHistory {
  return new MetricHistory(opts);
}
