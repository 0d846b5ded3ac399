/**
 * The evidence and playbook prompts through their definitions: argument
 * validation (prompt arguments are strings), completion, and message text
 * that names the right tools and runbook — and, for incident_report, embeds
 * the figures and findings of a snapshot captured over the busy fixture host.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Services } from '../definitions/host-services.js';
import type { PromptDefinition } from '../definitions/types.js';
import { productCatalogue } from '../catalogue/index.js';
import { captureSnapshot } from '../tools/capture-snapshot.js';
import { fixtureServices } from '../../test/fixtures/fixture-services.js';
import { capacityReviewPrompt } from './capacity-review.js';
import { incidentReportPrompt } from './incident-report.js';
import { investigateDiskFullPrompt } from './investigate-disk-full.js';

function run(prompt: PromptDefinition, raw: Record<string, string>, services: Services): string {
  const args = prompt.args.parse(raw);
  return prompt.build(args as never, services).map((m) => m.text).join('\n');
}

const PLAYBOOKS: Record<string, { runbook: string; tools: string[] }> = {
  investigate_cpu: { runbook: 'high-cpu', tools: ['get_cpu', 'top_processes', 'get_pressure', 'capture_snapshot'] },
  investigate_memory: { runbook: 'memory-pressure', tools: ['get_memory', 'top_processes', 'get_pressure', 'oomKillsInWindow', 'cgroup.oomKills', 'diag://runbooks/oom'] },
  investigate_disk_full: { runbook: 'disk-full', tools: ['get_filesystems', 'find_space_hogs', 'deletedOpen', 'inodesUsedPct', 'diff_snapshots', 'elapsedSec'] },
  investigate_io_latency: { runbook: 'io-latency', tools: ['get_disk_io', 'readAwaitMs', 'get_pressure', 'iowaitPct', 'get_memory'] },
  investigate_network: { runbook: 'network-drops', tools: ['get_network', 'retransPct', 'listenOverflowsPerSec', 'conntrack', 'get_limits', 'If enabled (network toolset): list_sockets', 'get_sysctl'] },
  capacity_review: { runbook: 'disk-full', tools: ['get_filesystems', 'get_memory', 'get_limits', 'fds.usedPct', 'threads.usedPct', 'availBytes'] },
};

describe('playbook and incident prompts', { timeout: 30_000 }, () => {
  let services: Services;
  let snapId: string;
  let snap2: string;

  before(async () => {
    services = fixtureServices('busy', 'busy-later');
    const c = { services, served: new Map(), signal: new AbortController().signal, progress: async () => undefined };
    snapId = (await captureSnapshot.handler({ label: 'during incident' }, c)).data.snapshotId;
    snap2 = (await captureSnapshot.handler({ label: 'after restart' }, c)).data.snapshotId;
  });

  for (const [name, want] of Object.entries(PLAYBOOKS)) {
    test(`${name}: registered, names its tools and fields and its runbook`, () => {
      const prompt = productCatalogue.prompts.find((p) => p.name === name);
      assert.ok(prompt, `${name} is in the catalogue`);
      assert.ok(prompt.description.length > 40);
      const text = run(prompt, {}, services);
      assert.ok(text.includes(`diag://runbooks/${want.runbook}`), `${name} references its runbook`);
      for (const t of want.tools) assert.ok(text.includes(t), `${name} mentions ${t}`);
      assert.match(text, /windowSec/);
      assert.ok(text.length < 6000, `${name} prompt is ${text.length} chars`);
    });
  }

  test('investigate_disk_full focuses on the given mount and completes mounts from the host', () => {
    const text = run(investigateDiskFullPrompt, { mount: '/var/lib/postgresql' }, services);
    assert.match(text, /get_filesystems with mount "\/var\/lib\/postgresql"/);
    assert.match(text, /find_space_hogs with path set to mount "\/var\/lib\/postgresql"/);
    const mounts = investigateDiskFullPrompt.complete?.mount?.('/var', services) ?? [];
    assert.ok(mounts.includes('/var/lib/postgresql'), JSON.stringify(mounts));
    assert.ok(mounts.every((m) => m.startsWith('/var')));
    assert.ok(!investigateDiskFullPrompt.args.safeParse({ mount: 'var' }).success, 'relative mount refused');
  });

  test('capacity_review: horizonDays is validated (1–365) and used', () => {
    assert.match(run(capacityReviewPrompt, { horizonDays: '90' }, services), /next 90 days[\s\S]*within 90 days/);
    assert.match(run(capacityReviewPrompt, {}, services), /next 30 days/);
    for (const bad of ['0', '366', 'abc', '-5', '1.5', '']) {
      const r = capacityReviewPrompt.args.safeParse({ horizonDays: bad });
      assert.ok(!r.success, `horizonDays "${bad}" must be refused`);
      assert.match(r.error.issues[0]?.message ?? '', /horizonDays must be a whole number of days from 1 to 365/);
    }
    assert.deepEqual(capacityReviewPrompt.complete?.horizonDays?.('3', services), ['30', '365']);
  });

  test('incident_report embeds the snapshot figures with units, its findings and the change between snapshots', () => {
    const bundle = services.snapshots.get(snapId);
    assert.ok(bundle);
    const text = run(incidentReportPrompt, { startedAt: '2026-05-04T13:20:00Z', endedAt: '2026-05-04T14:05:00Z', severity: 'sev2', summary: 'checkout API timed out', snapshotIds: `${snapId}, ${snap2}` }, services);
    assert.match(text, /Severity sev2 \(major/);
    assert.match(text, /2026-05-04T13:20:00Z → 2026-05-04T14:05:00Z/);
    assert.match(text, /"checkout API timed out"/);
    assert.ok(text.includes(`### ${snapId} "during incident" — captured ${bundle.capturedAt}, overall critical, rates over 10 s`));
    const memory = bundle.sections.memory?.data as { availableBytes: number; swapOutPerSec: number };
    assert.ok(text.includes(`memory.availableBytes: ${memory.availableBytes} bytes (400.0 MiB)`), 'available bytes with unit');
    assert.ok(text.includes('memory.swapOutPerSec: 500 /s'));
    assert.ok(text.includes('cpu.busyPct: 87%'));
    assert.ok(text.includes('filesystems./var/lib/postgresql.usedPct: 99.5%'));
    assert.ok(text.includes('[critical] filesystem.space: Space used on /var/lib/postgresql 99.5%'));
    assert.ok(text.includes(`Change from ${snapId} to ${snap2}`));
    for (const s of ['Timeline', 'Impact', 'Evidence', 'Root-cause hypothesis', 'confidence', 'Remediation', 'Follow-ups']) assert.ok(text.includes(s), `section ${s}`);
    assert.ok(text.length <= 24_100, `${text.length} chars`);
  });

  test('incident_report without snapshots asks for capture_snapshot and the overview', () => {
    const text = run(incidentReportPrompt, { startedAt: '2026-05-04T13:20:00+02:00', severity: 'sev4' }, services);
    assert.match(text, /ongoing/);
    assert.match(text, /call capture_snapshot/);
    assert.match(text, /diag:\/\/local\/overview/);
    assert.doesNotMatch(text, /### snap_/);
  });

  test('incident_report validates its arguments with clear messages', () => {
    const parse = (raw: Record<string, string>) => incidentReportPrompt.args.safeParse(raw);
    const msg = (raw: Record<string, string>) => {
      const r = parse(raw);
      return r.success ? '' : r.error.issues.map((i) => i.message).join('; ');
    };
    assert.match(msg({ startedAt: 'yesterday', severity: 'sev1' }), /startedAt must be an RFC 3339 timestamp/);
    assert.match(msg({ startedAt: '2026-13-45T99:99:00Z', severity: 'sev1' }), /startedAt is not a valid date/);
    assert.match(msg({ startedAt: '2026-05-04T13:20:00Z', severity: 'sev5' }), /severity must be one of sev1, sev2, sev3, sev4/);
    assert.match(msg({ startedAt: '2026-05-04T13:20:00Z', severity: 'sev1', snapshotIds: 'a;b' }), /snapshotIds must be snapshot ids separated by commas/);
    assert.throws(() => run(incidentReportPrompt, { startedAt: '2026-05-04T13:20:00Z', endedAt: '2026-05-04T13:00:00Z', severity: 'sev3' }, services), /endedAt .* is before startedAt/);
    assert.throws(
      () => run(incidentReportPrompt, { startedAt: '2026-05-04T13:20:00Z', severity: 'sev3', snapshotIds: 'snap_gone' }, services),
      (e: unknown) => e instanceof Error && /snapshotIds: unknown snapshot "snap_gone"/.test(e.message) && e.message.includes(snapId),
    );
    assert.throws(() => run(incidentReportPrompt, { startedAt: '2026-05-04T13:20:00Z', severity: 'sev3', snapshotIds: 'a,b,c,d,e,f' }, services), /at most 5 snapshots/);
  });

  test('incident_report takes severity as people type it and builds with the canonical value', () => {
    for (const typed of ['SEV2', '2', 'Sev 2', 'SEV-2', 'sev2', 'Sev2', ' sev_2 ', 'Severity 2']) {
      assert.equal(incidentReportPrompt.args.shape.severity.parse(typed), 'sev2', JSON.stringify(typed));
      assert.match(run(incidentReportPrompt, { startedAt: '2026-05-04T13:20:00Z', severity: typed }, services), /Severity sev2 \(major/, JSON.stringify(typed));
    }
    assert.match(run(incidentReportPrompt, { startedAt: '2026-05-04T13:20:00Z', severity: 'SEV 4' }, services), /Severity sev4 \(low/);
    for (const bad of ['sev5', '5', 'sev2!', 'major', 's e v 2 x', '22']) {
      const r = incidentReportPrompt.args.safeParse({ startedAt: '2026-05-04T13:20:00Z', severity: bad });
      assert.ok(!r.success, `severity ${JSON.stringify(bad)} must be refused`);
      assert.deepEqual(r.error.issues.map((i) => [i.path.join('.'), i.message]), [['severity', 'severity must be one of sev1, sev2, sev3, sev4 (sev1 = critical … sev4 = low)']]);
    }
  });

  test('incident_report completes severity and snapshot ids (the last of a comma list)', () => {
    const complete = incidentReportPrompt.complete;
    assert.deepEqual(complete?.severity?.('', services), ['sev1', 'sev2', 'sev3', 'sev4']);
    assert.deepEqual(complete?.severity?.('SE', services), ['sev1', 'sev2', 'sev3', 'sev4']);
    assert.deepEqual(complete?.severity?.('SEV3', services), ['sev3']);
    assert.deepEqual(complete?.severity?.('Sev-2', services), ['sev2']);
    assert.deepEqual(complete?.severity?.('4', services), ['sev4']);
    assert.deepEqual(complete?.severity?.('x', services), []);
    assert.deepEqual(complete?.snapshotIds?.('', services).sort(), [snapId, snap2].sort());
    assert.deepEqual(complete?.snapshotIds?.(snapId.slice(0, 8), services).includes(snapId), true);
    assert.deepEqual(complete?.snapshotIds?.(`${snapId},`, services), [`${snapId},${snap2}`]);
    assert.deepEqual(complete?.snapshotIds?.('snap_zz', services), []);
  });
});
