/**
 * A snapshot as one reader may see it. A bundle holds every section the
 * capture read, whoever captured it; each section is one tool's reading
 * (capture.ts SECTION_SOURCES, recorded in the section), so a reader without
 * that tool's scope gets `{source, withheld: true, requiredScope}` instead,
 * and loses the findings and warnings of that section and its part in the
 * overall status. A kept section's data is filtered by its tool's own
 * declared parts. Used by every route that shows a bundle: the resource,
 * capture_snapshot's summary, diff_snapshots and the prompts.
 */
import type { Reader } from '../contracts/reader.js';
import { worstStatus } from '../contracts/assessment.js';
import { filterParts, toolNamed } from './reader-scope.js';
import { ADMIN_SCOPE } from '../contracts/scopes.js';
import { SECTION_SOURCES } from '../snapshots/capture.js';
import { findingKey } from '../snapshots/figures.js';
import type { SnapshotBundle, SnapshotMeta, SnapshotSection } from '../snapshots/store.js';

/** The tool a section is the reading of (null: unknown, which no reader sees). */
function sourceOf(name: string, section: Pick<SnapshotSection, 'source'> | { source: string | null }): string | null {
  return section.source ?? SECTION_SOURCES[name] ?? null;
}

function mayRead(reader: Reader, source: string | null): boolean {
  return source !== null && reader.may(source);
}

export function bundleForReader(bundle: SnapshotBundle, reader: Reader): SnapshotBundle {
  const sections: Record<string, SnapshotSection> = {};
  const hidden = new Set<string>();
  for (const [name, s] of Object.entries(bundle.sections)) {
    const source = sourceOf(name, s);
    if (!mayRead(reader, source)) {
      hidden.add(name);
      sections[name] = { ...(source ? { source } : {}), withheld: true, requiredScope: source ? reader.scopeOf(source) : ADMIN_SCOPE };
      continue;
    }
    const parts = source ? toolNamed(source)?.scopedParts : undefined;
    sections[name] = s.data === undefined || !parts ? s : { ...s, data: filterParts(s.data, parts, reader).value };
  }
  if (hidden.size === 0) return { ...bundle, sections };
  const keysOf = (names: (n: string) => boolean) =>
    new Set(Object.entries(bundle.sections).filter(([n]) => names(n)).flatMap(([, s]) => (s.assessments ?? []).map(findingKey)));
  const shownKeys = keysOf((n) => !hidden.has(n));
  const findings = bundle.findings.filter((f) => (f.section !== undefined ? !hidden.has(f.section) : shownKeys.has(findingKey(f))));
  const warnings = bundle.warnings.filter((w) => ![...hidden].some((n) => w.startsWith(`${n}: `)));
  const overall = worstStatus(
    Object.entries(bundle.sections)
      .filter(([n]) => n !== 'triage' && !hidden.has(n))
      .flatMap(([, s]) => (s.assessments ?? []).map((a) => a.status)),
  );
  return { ...bundle, overall, sections, findings, warnings };
}

/** The overall status of a stored snapshot as this reader may see it (from its meta, without parsing the bundle). */
export function overallForReader(meta: SnapshotMeta, reader: Reader): SnapshotMeta['overall'] {
  const entries = Object.entries(meta.sections ?? {});
  if (entries.every(([n, s]) => mayRead(reader, sourceOf(n, s)))) return meta.overall;
  return worstStatus(entries.filter(([n, s]) => n !== 'triage' && mayRead(reader, sourceOf(n, s))).map(([, s]) => s.status));
}

/** A stored bundle's JSON as this reader may see it (the stored text itself when nothing is withheld). */
export function bundleJsonForReader(json: string, reader: Reader): string {
  const bundle = JSON.parse(json) as SnapshotBundle;
  const view = bundleForReader(bundle, reader);
  return view === bundle || Object.values(view.sections).every((s, i) => s === Object.values(bundle.sections)[i]) ? json : JSON.stringify(view);
}
