/**
 * get_kernel_events over a REAL journal: test/fixtures/journal/host.export turned into journal files by the real
 * systemd-journal-remote and read by the real journalctl --directory (kernel messages of two boots, see that
 * README). The collector root is a temp tree whose proc/stat + proc/uptime put "now" at 2026-11-21T12:00:00Z
 * (three hours into the second boot), and whose dev/kmsg holds one unrelated event, to show which source won.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ToolContext } from '../definitions/types.js';
import { buildJournal } from '../../test/fixtures/journal/build.js';
import { servicesAt } from '../../test/fixtures/fixture-services.js';
import { getKernelEvents } from './get-kernel-events.js';

const BTIME = 1_795_251_600; // 2026-11-21T09:00:00Z, the second boot
let root = '';

function servicesWithJournal(journalDirectory: string) {
  const s = servicesAt(root);
  s.limits = { ...s.limits, journalDirectory };
  return s;
}
const call = (services: ReturnType<typeof servicesAt>, args: Record<string, unknown>) =>
  getKernelEvents.handler(getKernelEvents.input.parse(args), { services, served: new Map(), signal: new AbortController().signal, progress: async () => {} } as ToolContext);

before(() => {
  root = mkdtempSync(join(tmpdir(), 'hostlens-kernel-journal-'));
  mkdirSync(join(root, 'proc'));
  mkdirSync(join(root, 'dev'));
  mkdirSync(join(root, 'empty-journal'));
  writeFileSync(join(root, 'proc/stat'), `cpu  1 0 1 100 0 0 0 0 0 0\nbtime ${BTIME}\n`);
  writeFileSync(join(root, 'proc/uptime'), '10800.00 20000.00\n');
  writeFileSync(join(root, 'dev/kmsg'), '3,0,7000000000,-;INFO: task only-in-kmsg:99 blocked for more than 240 seconds.\n');
  buildJournal(join(root, 'journal'));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('journal source: the second boot\'s kernel events in the last 24 h, the OOM report merged', async () => {
  const r = await call(servicesWithJournal('/journal'), {});
  assert.equal(r.data.source, 'journal');
  assert.equal(r.data.since, '2026-11-20T12:00:00Z');
  assert.deepEqual(r.data.countsByKind, { oom_kill: 1, hung_task: 1, io_error: 0, segfault: 1, link_down: 1, link_up: 1, fs_error: 0, mce: 2 });
  assert.equal(r.data.coverage.complete, true);
  assert.equal(r.data.coverage.oldestRecordAt, '2026-11-21T09:00:00Z');
  const oom = r.data.events.find((e) => e.kind === 'oom_kill')!;
  assert.deepEqual([oom.ts, oom.pid, oom.comm, oom.cgroup, oom.details.rssBytes, oom.details.constraint], [
    '2026-11-21T09:05:18Z', 1234, 'java', '/system.slice/java.service', (2_097_152 + 1024) * 1024, 'CONSTRAINT_MEMCG',
  ]);
  const hung = r.data.events.find((e) => e.kind === 'hung_task')!;
  assert.deepEqual([hung.comm, hung.pid, hung.details.blockedSec], ['kworker/u8:2', 345, 120]);
  assert.ok(!r.data.events.some((e) => e.comm === 'only-in-kmsg'), 'journald wins over /dev/kmsg');
  assert.deepEqual(r.data.events.filter((e) => e.kind === 'mce').map((e) => e.details.corrected), [false, true]);
  const a = Object.fromEntries(r.assessments!.map((x) => [x.code, x.status]));
  assert.deepEqual(a, { 'kernel.oom_kills': 'warning', 'kernel.hung_tasks': 'critical', 'kernel.io_errors': 'ok', 'kernel.fs_errors': 'ok', 'kernel.mce_uncorrected': 'critical' });
});

test('journal source: -2d reaches the first boot (I/O and ext4 errors, eth0 flap) — history kmsg cannot have', async () => {
  const r = await call(servicesWithJournal('/journal'), { since: '-2d', kinds: ['io_error', 'fs_error'] });
  assert.equal(r.data.source, 'journal');
  assert.deepEqual(r.data.countsByKind, { oom_kill: 1, hung_task: 1, io_error: 2, segfault: 1, link_down: 2, link_up: 3, fs_error: 1, mce: 2 });
  assert.deepEqual(r.data.events.map((e) => [e.ts, e.kind, e.device]), [
    ['2026-11-20T09:20:33Z', 'fs_error', 'sda1'],
    ['2026-11-20T09:20:31Z', 'io_error', 'sda1'],
    ['2026-11-20T09:20:31Z', 'io_error', 'sda'],
  ]);
  assert.equal(r.data.total, 3);
});

test('an empty journal directory falls back to /dev/kmsg and says why', async () => {
  const r = await call(servicesWithJournal('/empty-journal'), {});
  assert.equal(r.data.source, 'kmsg');
  assert.deepEqual(r.data.events.map((e) => [e.kind, e.comm, e.details.blockedSec]), [['hung_task', 'only-in-kmsg', 240]]);
  assert.match(r.warnings!.join(' '), /read \/dev\/kmsg \(current boot only\): no journal files/);
});
