/**
 * capture_snapshot and diff_snapshots driven through their definitions over
 * recorded host trees: the idle host and the busy host (busy → busy-later,
 * 10 s window) share one snapshot store, so a diff between them must report
 * exactly what the fixtures changed (test/fixtures/hosts/README.md).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Services } from '../definitions/host-services.js';
import type { ToolContext } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { envelopeSchema } from '../server/envelope.js';
import { productCatalogue } from '../catalogue/index.js';
import { registerReadings, readerWith } from '../definitions/reader-scope.js';
import { captureSnapshot } from '../tools/capture-snapshot.js';
import { diffSnapshotsTool } from '../tools/diff-snapshots.js';
import { fixtureServices, servicesAt } from '../../test/fixtures/fixture-services.js';
import { significance } from './diff.js';
import { unitOf } from './figures.js';
import { createSnapshotStore, DEFAULT_SNAPSHOT_MAX_BYTES, DEFAULT_SNAPSHOT_MAX_COUNT, SNAPSHOT_ID_PATTERN } from './store.js';
import type { SnapshotBundle } from './store.js';

const ctx = (services: Services): ToolContext => ({ services, served: new Map(), signal: new AbortController().signal, progress: async () => undefined });

type CaptureOut = Awaited<ReturnType<typeof captureSnapshot.handler>>;
type DiffOut = Awaited<ReturnType<typeof diffSnapshotsTool.handler>>;

describe('capture_snapshot and diff_snapshots over recorded hosts', { timeout: 60_000 }, () => {
  let idle: Services;
  let busy: Services;
  let a: CaptureOut;
  let b: CaptureOut;

  before(async () => {
    idle = fixtureServices('idle');
    busy = { ...fixtureServices('busy', 'busy-later'), snapshots: idle.snapshots };
    a = await captureSnapshot.handler({ label: 'idle host' }, ctx(idle));
    b = await captureSnapshot.handler({ label: 'busy host' }, ctx(busy));
  });

  test('capture returns the id, a resource link to diag://snapshots/<id>, the summary and the store usage', () => {
    assert.match(b.data.snapshotId, SNAPSHOT_ID_PATTERN);
    assert.equal(b.data.resourceUri, `diag://snapshots/${b.data.snapshotId}`);
    assert.deepEqual(b.links?.map((l) => ({ uri: l.uri, mimeType: l.mimeType })), [{ uri: b.data.resourceUri, mimeType: 'application/json' }]);
    assert.match(b.links?.[0]?.description ?? '', /busy host/);
    assert.equal(b.data.label, 'busy host');
    assert.equal(b.data.summary.overall, 'critical');
    assert.ok(b.data.summary.findings.length === 10 && b.data.summary.findingCount > 10, JSON.stringify(b.data.summary));
    assert.equal(b.data.summary.findings[0]?.status, 'critical');
    assert.deepEqual(b.data.summary.failedSections, []);
    assert.equal(a.data.summary.overall, 'warning');
    assert.deepEqual(b.data.stored, { count: 2, bytes: a.data.sizeBytes + b.data.sizeBytes, maxCount: DEFAULT_SNAPSHOT_MAX_COUNT, maxBytes: DEFAULT_SNAPSHOT_MAX_BYTES });
    assert.deepEqual(b.data.evicted, []);
    assert.equal(b.windowSec, 10, 'rates over the fixture sampler window');
    // The result matches the tool's declared envelope (what the e2e test checks over HTTP).
    const parsed = envelopeSchema(captureSnapshot.data).safeParse({ host: 'local', collectedAt: new Date().toISOString(), data: b.data, assessments: [], windowSec: b.windowSec, warnings: b.warnings });
    assert.ok(parsed.success, parsed.error?.message);
    assert.match(captureSnapshot.render(b), /overall: CRITICAL/);
    assert.equal(b.data.sizeExact, true, 'an every-scope caller sees exact sizes');
  });

  test('a caller without hostlens:processes gets sizes rounded to a KiB, never the exact bytes of withheld sections', async () => {
    registerReadings(productCatalogue.tools);
    // Its own store, so the diff tests below keep seeing exactly the two captures above as latest and previous.
    const own: Services = { ...busy, snapshots: createSnapshotStore() };
    const weak = await captureSnapshot.handler({ label: 'read only' }, { ...ctx(own), reader: readerWith(['hostlens:read']) });
    assert.deepEqual(weak.data.summary.withheldSections.map((w) => w.requiredScope).sort(), ['hostlens:processes', 'hostlens:processes']);
    assert.equal(weak.data.sizeExact, false);
    assert.equal(weak.data.sizeBytes % 1024, 0);
    assert.equal(weak.data.stored.bytes % 1024, 0);
    const exact = own.snapshots.list().find((m) => m.id === weak.data.snapshotId)?.sizeBytes ?? 0;
    assert.ok(exact > 0 && weak.data.sizeBytes >= exact && weak.data.sizeBytes - exact < 1024, `${weak.data.sizeBytes} vs ${exact}`);
  });

  test('the stored bundle holds every section with its data and assessments, and the findings with units', () => {
    const bundle = busy.snapshots.get(b.data.snapshotId) as SnapshotBundle;
    assert.equal(bundle.id, b.data.snapshotId);
    assert.equal(bundle.host, 'local');
    assert.equal(bundle.capturedAt, b.data.capturedAt);
    assert.deepEqual(Object.keys(bundle.sections), ['triage', 'cpu', 'memory', 'filesystems', 'disks', 'network', 'pressure', 'limits', 'processesByCpu', 'processesByMemory']);
    const memory = bundle.sections.memory?.data as { swapOutPerSec: number; oomKillsInWindow: number };
    assert.equal(memory.swapOutPerSec, 500, 'pswpout +5000 over 10 s');
    assert.equal(memory.oomKillsInWindow, 1);
    const cpu = bundle.sections.cpu?.data as { busyPct: number };
    assert.equal(cpu.busyPct, 87);
    const top = bundle.sections.processesByCpu?.data as { processes: Array<{ pid: number }> };
    assert.ok(top.processes.length > 0 && top.processes.length <= 10);
    const fs = bundle.findings.find((f) => f.code === 'filesystem.space' && /\/var\/lib\/postgresql/.test(f.message));
    assert.deepEqual(fs && { status: fs.status, value: fs.value, unit: fs.unit }, { status: 'critical', value: 99.5, unit: '%' });
    // Findings are unique per subject: conntrack is judged by get_network and get_limits under two codes, once each.
    const keys = bundle.findings.map((f) => `${f.code} ${f.message}`);
    assert.equal(new Set(keys).size, keys.length);
    assert.ok(bundle.findings.every((f) => f.status === 'warning' || f.status === 'critical'));
  });

  test('diff idle → busy: changed figures with units, ranked, new and resolved findings, status changes', async () => {
    const d = (await diffSnapshotsTool.handler({ a: a.data.snapshotId, b: b.data.snapshotId, limit: 100 }, ctx(idle))) as DiffOut;
    const byPath = new Map(d.data.changed.map((c) => [c.path, c]));
    const total = d.data.changedTotal;
    assert.ok(total > 100 && d.truncated?.nextCursor && d.truncated.total === total, JSON.stringify(d.truncated));
    assert.deepEqual(byPath.get('memory.swapOutPerSec'), { path: 'memory.swapOutPerSec', before: 0, after: 500, delta: 500, changePct: null, unit: '/s' });
    assert.deepEqual(byPath.get('memory.oomKillsInWindow'), { path: 'memory.oomKillsInWindow', before: 0, after: 1, delta: 1, changePct: null, unit: 'count' });
    const avail = byPath.get('memory.availablePct');
    assert.equal(avail?.unit, '%');
    assert.equal(avail?.before, 91);
    assert.ok(avail && avail.after !== null && avail.after < 5, JSON.stringify(avail));
    assert.equal(avail?.delta, Math.round(((avail?.after ?? 0) - 91) * 1000) / 1000);
    const root = byPath.get('filesystems./.usedPct');
    assert.deepEqual(root && { before: root.before, after: root.after, unit: root.unit, changePct: root.changePct }, { before: 31.6, after: 94.8, unit: '%', changePct: 200 });
    assert.equal(byPath.get('memory.availableBytes')?.unit, 'bytes');
    // Ranked by significance: judged figures first (an OOM kill, memory available, a filesystem's use),
    // then unjudged ones (swap-out rate) for comparable movement.
    const order = d.data.changed.map((c) => c.path);
    assert.equal(order[0], 'memory.oomKillsInWindow');
    assert.ok(order.indexOf('memory.availablePct') < order.indexOf('filesystems./.usedPct'));
    assert.ok(order.indexOf('filesystems./.usedPct') < order.indexOf('memory.swapOutPerSec'));
    const scores = d.data.changed.map((c) => significance(c.before, c.after, c.unit, c.path));
    assert.ok(scores.every((x, i) => i === 0 || x <= (scores[i - 1] as number)), 'most significant first');
    assert.ok((scores[0] as number) > (scores[scores.length - 1] as number));
    // Findings: the busy host's problems are new, the idle host's stalled postgres cgroup is resolved.
    const newCodes = new Set(d.data.newFindings.map((f) => f.code));
    for (const code of ['memory.available_low', 'memory.oom_kill', 'filesystem.space', 'disk.util', 'tcp.retrans', 'conntrack.used']) assert.ok(newCodes.has(code), `new finding ${code}`);
    assert.deepEqual(d.data.resolvedFindings.map((f) => f.code), ['pressure.cgroup']);
    assert.ok(d.data.statusChanges.some((s) => s.code === 'memory.available_low' && s.before === 'ok' && s.after === 'critical'), JSON.stringify(d.data.statusChanges));
    assert.ok(d.data.statusChanges.some((s) => s.code === 'load.per_cpu' && s.before === 'ok' && s.after === 'critical'));
    assert.deepEqual([d.data.a.id, d.data.b.id], [a.data.snapshotId, b.data.snapshotId]);
    assert.ok(d.data.elapsedSec > 0);
    assert.equal(d.page?.field, 'changed');
  });

  test('the reverse diff swaps new and resolved findings; the next page continues without overlap', async () => {
    const r = (await diffSnapshotsTool.handler({ a: b.data.snapshotId, b: a.data.snapshotId, limit: 100 }, ctx(idle))) as DiffOut;
    assert.deepEqual(r.data.newFindings.map((f) => f.code), ['pressure.cgroup']);
    assert.ok(r.data.resolvedFindings.some((f) => f.code === 'memory.available_low'));
    assert.ok(r.data.elapsedSec < 0);
    const p1 = (await diffSnapshotsTool.handler({ a: 'previous', b: 'latest', limit: 20 }, ctx(idle))) as DiffOut;
    assert.equal(p1.data.changed.length, 20);
    const p2 = (await diffSnapshotsTool.handler({ a: 'previous', b: 'latest', limit: 20, cursor: p1.truncated?.nextCursor }, ctx(idle))) as DiffOut;
    assert.equal(p2.page?.offset, 20);
    const first = new Set(p1.data.changed.map((c) => c.path));
    assert.ok(p2.data.changed.length === 20 && p2.data.changed.every((c) => !first.has(c.path)));
    // "previous"/"latest" resolve to the two captures.
    assert.deepEqual([p1.data.a.id, p1.data.b.id], [a.data.snapshotId, b.data.snapshotId]);
    // A snapshot against itself changes nothing.
    const same = (await diffSnapshotsTool.handler({ a: 'latest', b: 'latest', limit: 50 }, ctx(idle))) as DiffOut;
    assert.deepEqual([same.data.changed, same.data.newFindings, same.data.resolvedFindings, same.data.statusChanges, same.data.elapsedSec], [[], [], [], [], 0]);
  });

  test('an unknown id is a tool error naming the stored ids', async () => {
    await assert.rejects(
      () => diffSnapshotsTool.handler({ a: 'snap_zzzzzzzzzz', b: 'latest', limit: 50 }, ctx(idle)),
      (e: unknown) => e instanceof HostlensError && /^a: unknown snapshot "snap_zzzzzzzzzz"/.test(e.message) && e.message.includes(a.data.snapshotId) && e.message.includes(b.data.snapshotId),
    );
    const empty = { ...idle, snapshots: createSnapshotStore() };
    await assert.rejects(
      () => diffSnapshotsTool.handler({ a: 'latest', b: 'latest', limit: 50 }, ctx(empty)),
      (e: unknown) => e instanceof HostlensError && /no snapshots are stored.*call capture_snapshot first/.test(e.message),
    );
  });

  test('capturing into a full store evicts the oldest and says so', async () => {
    const small = { ...idle, snapshots: createSnapshotStore({ maxCount: 1 }) };
    const first = await captureSnapshot.handler({ label: 'one' }, ctx(small));
    const second = await captureSnapshot.handler({}, ctx(small));
    assert.deepEqual(second.data.evicted, [{ id: first.data.snapshotId, label: 'one', capturedAt: first.data.capturedAt }]);
    assert.ok(second.warnings?.some((w) => w.includes(first.data.snapshotId) && /evicted/.test(w)), JSON.stringify(second.warnings));
    assert.equal(second.data.label, null);
    assert.deepEqual(second.data.stored.count, 1);
    const tiny = { ...idle, snapshots: createSnapshotStore({ maxBytes: 1000 }) };
    await assert.rejects(() => captureSnapshot.handler({}, ctx(tiny)), (e: unknown) => e instanceof HostlensError && /nothing was stored/.test(e.message));
  });

  test('an empty root captures unknowns with warnings; a failing section is recorded, not fatal', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hostlens-empty-'));
    const empty = { ...servicesAt(root), snapshots: createSnapshotStore() };
    const r = await captureSnapshot.handler({ windowSec: 0.2 }, ctx(empty)).finally(() => rmSync(root, { recursive: true, force: true }));
    assert.equal(r.data.summary.overall, 'unknown');
    assert.deepEqual(r.data.summary.failedSections, []);
    assert.ok(r.warnings?.some((w) => w.startsWith('memory: proc/meminfo')), JSON.stringify(r.warnings));
    const broken: Services = { ...idle, snapshots: createSnapshotStore(), sampler: { ...idle.sampler, measure: () => Promise.reject(new Error('sampler exploded')) } };
    const f = await captureSnapshot.handler({ windowSec: 0.5 }, ctx(broken));
    assert.deepEqual(f.data.summary.failedSections, ['triage', 'cpu', 'disks', 'network', 'processesByCpu', 'processesByMemory']);
    assert.ok(f.warnings?.includes('cpu: not captured (sampler exploded)'), JSON.stringify(f.warnings));
    const bundle = broken.snapshots.get(f.data.snapshotId);
    assert.deepEqual(bundle?.sections.cpu, { source: 'get_cpu', error: 'sampler exploded' });
    assert.equal((bundle?.sections.memory?.data as { totalBytes: number }).totalBytes > 0, true, 'the instant sections are still captured');
  });

  test('units follow the field names; small unjudged moves rank below judged ones', () => {
    assert.deepEqual(
      ['availableBytes', 'readBytesPerSec', 'usedPct', 'stallPctInWindow', 'retransSegsPerSec', 'readAwaitMs', 'uptimeSec', 'loadPerCpu1', 'cgroupCpuQuotaCores', 'load1', 'timeWait'].map(unitOf),
      ['bytes', 'bytes/s', '%', '%', '/s', 'ms', 's', 'ratio', 'cores', 'count', 'count'],
    );
    assert.equal(significance(0, 1, 'count', 'memory.oomKillsInWindow'), 1);
    assert.ok(significance(1, 0, '/s', 'disks.vda.readsPerSec') <= 0.05);
    assert.equal(significance(40, 90, '%', 'cpu.busyPct'), 0.5);
    assert.equal(significance(40, 90, '%', 'memory.usedPct'), 0.5, 'usedPct is judged (filesystems)');
    assert.equal(significance(null, 5, '%', 'cpu.busyPct'), 0.5);
    assert.equal(significance(null, null, '%', 'cpu.busyPct'), 0);
  });

  test('labels must be printable and at most 80 characters', () => {
    const input = captureSnapshot.input;
    assert.ok(input.safeParse({ label: 'before restart — 14:05' }).success);
    assert.ok(!input.safeParse({ label: 'x'.repeat(81) }).success);
    assert.ok(!input.safeParse({ label: 'bad\u0007bell' }).success);
    assert.ok(!input.safeParse({ label: 'new\nline' }).success);
    assert.ok(!input.safeParse({ label: '' }).success);
    assert.ok(!diffSnapshotsTool.input.safeParse({ a: 'x', b: 'y', limit: 101 }).success);
  });
});
