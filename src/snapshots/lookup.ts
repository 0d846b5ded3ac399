/**
 * Finding snapshots by reference: an id (snap_…), or "latest" / "previous"
 * (the newest and the one before it). Unknown references get a message that
 * names a few stored ids, so the agent can correct itself.
 */
import type { SnapshotBundle, SnapshotStore } from './store.js';

/** "snap_abc… ("label", 2026-…), … (N stored)" or a hint to capture one. */
export function describeStored(store: SnapshotStore, max = 5): string {
  const list = store.list();
  if (list.length === 0) return 'no snapshots are stored (they are kept in memory and lost on restart): call capture_snapshot first';
  const shown = list.slice(0, max).map((m) => `${m.id}${m.label ? ` ("${m.label}", ${m.capturedAt})` : ` (${m.capturedAt})`}`);
  return `stored snapshots, newest first: ${shown.join(', ')}${list.length > max ? `, … (${list.length} stored)` : ''}`;
}

/** The id a reference points at, or null. */
function resolveSnapshotId(store: SnapshotStore, ref: string): string | null {
  const list = store.list();
  if (ref === 'latest') return list[0]?.id ?? null;
  if (ref === 'previous') return list[1]?.id ?? null;
  return store.json(ref) !== undefined ? ref : null;
}

/** The bundle a reference points at; throws `makeError(message)` naming what exists when there is none. */
export function lookupSnapshot(store: SnapshotStore, ref: string, makeError: (message: string) => Error): SnapshotBundle {
  const id = resolveSnapshotId(store, ref);
  const bundle = id === null ? undefined : store.get(id);
  if (!bundle) {
    const shown = ref.length > 40 ? `${ref.slice(0, 40)}…` : ref;
    throw makeError(`unknown snapshot "${shown}" (evicted, from before a restart, or never captured); ${describeStored(store)}`);
  }
  return bundle;
}

/** Stored ids starting with `prefix` (completion), newest first. */
export function completeSnapshotIds(store: SnapshotStore, prefix: string, max = 100): string[] {
  return store
    .list()
    .map((m) => m.id)
    .filter((id) => id.startsWith(prefix))
    .slice(0, max);
}
