/**
 * The evidence store: snapshots (capture_snapshot bundles) kept in memory,
 * bounded by count and by JSON bytes. The oldest is evicted first, and the
 * caller is told which ones went. Ids are random (`snap_` + 10 base32 chars
 * from crypto), never a guessable sequence. Bundles are stored as their JSON
 * text, so a stored snapshot cannot change after capture.
 */
import { randomBytes } from 'node:crypto';
import { HostlensError } from '../contracts/errors.js';
import { worstStatus } from '../contracts/assessment.js';
import type { Status } from '../contracts/assessment.js';

export const DEFAULT_SNAPSHOT_MAX_COUNT = 20;
export const DEFAULT_SNAPSHOT_MAX_BYTES = 4 * 1024 * 1024;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
export const SNAPSHOT_ID_PATTERN = /^snap_[a-z2-7]{10}$/;

/** A non-ok assessment as kept in a bundle. */
export interface SnapshotFinding {
  code: string;
  status: Status;
  area: string;
  message: string;
  value: number | null;
  unit: string;
  /** The section whose assessment this is: a reader who may not see the section does not see the finding. */
  section?: string;
}

/** One area of the sweep: what the diagnostics function returned, or why it failed. */
export interface SnapshotSection {
  /** The tool whose reading this is (capture.ts SECTION_SOURCES); its scope guards the section. */
  source?: string;
  data?: unknown;
  assessments?: Array<{ area: string; status: Status; code: string; message: string; value: number | null; threshold: number | null; unit: string }>;
  windowSec?: number;
  truncated?: { returned: number; total: number };
  error?: string;
  /** Set in a reader's view (view.ts) when the reader lacks the source's scope: nothing else of the section is shown. */
  withheld?: true;
  requiredScope?: string;
}

export interface SnapshotBundle {
  id: string;
  label: string | null;
  host: string;
  capturedAt: string;
  windowSec: number | null;
  overall: Status;
  sections: Record<string, SnapshotSection>;
  findings: SnapshotFinding[];
  warnings: string[];
}

/** What listing and eviction report about a stored snapshot (without its body). */
export interface SnapshotMeta {
  id: string;
  label: string | null;
  capturedAt: string;
  overall: Status;
  sizeBytes: number;
  /** Per section, its source tool and its worst status, so a listing can judge a reader's overall without parsing the bundle. */
  sections: Record<string, { source: string | null; status: Status }>;
}

interface StoreStats {
  count: number;
  bytes: number;
  maxCount: number;
  maxBytes: number;
}

interface AddResult {
  meta: SnapshotMeta;
  evicted: Array<Pick<SnapshotMeta, 'id' | 'label' | 'capturedAt'>>;
  stored: StoreStats;
}

export interface SnapshotStore {
  /** Stores a bundle under a new id; throws too_large when it alone exceeds maxBytes. */
  add(bundle: Omit<SnapshotBundle, 'id'>): AddResult;
  /** The bundle, parsed from its stored JSON; undefined for an unknown (or evicted) id. */
  get(id: string): SnapshotBundle | undefined;
  /** The stored JSON text of a bundle. */
  json(id: string): string | undefined;
  /** Newest first. */
  list(): SnapshotMeta[];
  stats(): StoreStats;
}

export function newSnapshotId(): string {
  const bytes = randomBytes(10);
  let id = 'snap_';
  // 256 is a multiple of 32, so `& 31` keeps every character uniformly likely.
  for (const b of bytes) id += BASE32[b & 31];
  return id;
}

function sectionStatuses(sections: Record<string, SnapshotSection>): SnapshotMeta['sections'] {
  const out: SnapshotMeta['sections'] = {};
  for (const [name, s] of Object.entries(sections)) out[name] = { source: s.source ?? null, status: worstStatus((s.assessments ?? []).map((a) => a.status)) };
  return out;
}

interface Entry {
  meta: SnapshotMeta;
  json: string;
}

export function createSnapshotStore(options: { maxCount?: number; maxBytes?: number } = {}): SnapshotStore {
  const maxCount = options.maxCount ?? DEFAULT_SNAPSHOT_MAX_COUNT;
  const maxBytes = options.maxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES;
  if (!(Number.isInteger(maxCount) && maxCount >= 1)) throw new RangeError('snapshot maxCount must be a positive integer');
  if (!(Number.isInteger(maxBytes) && maxBytes >= 1)) throw new RangeError('snapshot maxBytes must be a positive integer');
  // Insertion order = capture order: the first entry is the oldest.
  const entries = new Map<string, Entry>();
  let bytes = 0;
  const stats = (): StoreStats => ({ count: entries.size, bytes, maxCount, maxBytes });

  return {
    add(bundle) {
      let id = newSnapshotId();
      while (entries.has(id)) id = newSnapshotId();
      const json = JSON.stringify({ id, ...bundle });
      const sizeBytes = Buffer.byteLength(json);
      if (sizeBytes > maxBytes) throw new HostlensError('too_large', `the snapshot is ${sizeBytes} bytes of JSON, over the store's ${maxBytes}-byte limit`);
      const evicted: AddResult['evicted'] = [];
      while (entries.size + 1 > maxCount || bytes + sizeBytes > maxBytes) {
        const oldest = entries.values().next().value as Entry | undefined;
        if (!oldest) break;
        entries.delete(oldest.meta.id);
        bytes -= oldest.meta.sizeBytes;
        evicted.push({ id: oldest.meta.id, label: oldest.meta.label, capturedAt: oldest.meta.capturedAt });
      }
      const meta: SnapshotMeta = { id, label: bundle.label, capturedAt: bundle.capturedAt, overall: bundle.overall, sizeBytes, sections: sectionStatuses(bundle.sections) };
      entries.set(id, { meta, json });
      bytes += sizeBytes;
      return { meta, evicted, stored: stats() };
    },
    get(id) {
      const e = entries.get(id);
      return e ? (JSON.parse(e.json) as SnapshotBundle) : undefined;
    },
    json: (id) => entries.get(id)?.json,
    list: () => [...entries.values()].map((e) => e.meta).reverse(),
    stats,
  };
}
