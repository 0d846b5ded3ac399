import { HostlensError } from '../contracts/errors.js';
import type { ResourceTemplateDefinition } from '../definitions/types.js';
import { EVERY_SCOPE } from '../definitions/reader-scope.js';
import { completeSnapshotIds, describeStored } from '../snapshots/lookup.js';
import { bundleJsonForReader, overallForReader } from '../definitions/snapshot-view.js';

/**
 * diag://snapshots/{id}: the evidence bundles capture_snapshot stored (JSON), as
 * the reader may see them: sections of tools beyond its scopes are withheld.
 */
export const snapshotsTemplate: ResourceTemplateDefinition = {
  name: 'snapshot',
  uriTemplate: 'diag://snapshots/{id}',
  title: 'Evidence snapshot',
  description:
    'An evidence bundle stored by capture_snapshot: {id, label, host, capturedAt, windowSec, overall, sections{triage, cpu, memory, filesystems, disks, network, pressure, limits, processesByCpu, processesByMemory: {source, data, assessments, windowSec?} — or {source, withheld: true, requiredScope} when the reader lacks the scope of the tool the section comes from (processesByCpu/processesByMemory: top_processes, hostlens:processes)}, findings[], warnings[]}. Units are in the field names. Kept in memory (newest 20 / 4 MiB), lost on restart.',
  mimeType: 'application/json',
  // A snapshot never changes; it can only be evicted.
  ttlMs: 60_000,
  list: (services, reader = EVERY_SCOPE) =>
    services.snapshots.list().map((m) => ({
      uri: `diag://snapshots/${m.id}`,
      name: m.id,
      ...(m.label ? { title: m.label } : {}),
      description: `captured ${m.capturedAt}, overall ${overallForReader(m, reader)}`,
    })),
  complete: { id: (value, services) => completeSnapshotIds(services.snapshots, value) },
  completeFrom: { id: 'capture_snapshot' },
  read(_uri, variables, services, reader = EVERY_SCOPE) {
    const id = variables.id ?? '';
    const json = services.snapshots.json(id);
    if (json === undefined) throw new HostlensError('not_found', `unknown snapshot "${id.slice(0, 40)}"; ${describeStored(services.snapshots)}`);
    return bundleJsonForReader(json, reader);
  },
};
