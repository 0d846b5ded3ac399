import { ResourceNotFound } from '../catalogue/types.js';
import type { ResourceTemplateDefinition } from '../catalogue/types.js';
import { completeSnapshotIds, describeStored } from '../snapshots/lookup.js';

/** diag://snapshots/{id}: the evidence bundles capture_snapshot stored (JSON, exactly as stored). */
export const snapshotsTemplate: ResourceTemplateDefinition = {
  name: 'snapshot',
  uriTemplate: 'diag://snapshots/{id}',
  title: 'Evidence snapshot',
  description:
    'An evidence bundle stored by capture_snapshot: {id, label, host, capturedAt, windowSec, overall, sections{triage, cpu, memory, filesystems, disks, network, pressure, limits, processesByCpu, processesByMemory: {data, assessments, windowSec?}}, findings[], warnings[]}. Units are in the field names. Kept in memory (newest 20 / 4 MiB), lost on restart.',
  mimeType: 'application/json',
  // A snapshot never changes; it can only be evicted.
  ttlMs: 60_000,
  list: (services) =>
    services.snapshots.list().map((m) => ({
      uri: `diag://snapshots/${m.id}`,
      name: m.id,
      ...(m.label ? { title: m.label } : {}),
      description: `captured ${m.capturedAt}, overall ${m.overall}, ${m.sizeBytes} bytes`,
    })),
  complete: { id: (value, services) => completeSnapshotIds(services.snapshots, value) },
  read(_uri, variables, services) {
    const id = variables.id ?? '';
    const json = services.snapshots.json(id);
    if (json === undefined) throw new ResourceNotFound(`unknown snapshot "${id.slice(0, 40)}"; ${describeStored(services.snapshots)}`);
    return json;
  },
};
