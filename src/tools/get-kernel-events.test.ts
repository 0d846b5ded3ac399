/**
 * get_kernel_events end to end over the recorded kmsg fixture (test/fixtures/kmsg/mixed, numbers in its README):
 * counts per kind, the OOM merge, redaction, kinds filter, paging, since and its bounds, and the assessments.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { buildServer } from '../server/build.js';
import type { Catalogue } from '../definitions/types.js';
import type { ToolDefinition } from '../definitions/types.js';
import type { ToolContext } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { servicesAt } from '../../test/fixtures/fixture-services.js';
import { getKernelEvents } from './get-kernel-events.js';

const MIXED = fileURLToPath(new URL('../../test/fixtures/kmsg/mixed/', import.meta.url));
const services = servicesAt(MIXED);
const ctx = { services, served: new Map(), signal: new AbortController().signal, progress: async () => {} } as ToolContext;
const call = (args: Record<string, unknown>) => getKernelEvents.handler(getKernelEvents.input.parse(args), ctx);
const at = (sec: number) => new Date((1_780_000_000 + sec) * 1000).toISOString().replace('.000Z', 'Z');

test('default range (-24h): 21 events newest first, counted per kind, from kmsg', async () => {
  const r = await call({});
  assert.equal(r.data.source, 'kmsg');
  assert.equal(r.data.since, at(3600));
  assert.deepEqual(r.data.countsByKind, { oom_kill: 2, hung_task: 1, io_error: 3, segfault: 2, link_down: 2, link_up: 2, fs_error: 5, mce: 4 });
  assert.equal(r.data.total, 21);
  assert.equal(r.data.events.length, 21);
  assert.equal(r.truncated, undefined);
  assert.equal(r.page?.field, 'events');
  const ts = r.data.events.map((e) => e.ts!);
  assert.deepEqual(ts, [...ts].sort().reverse(), 'newest first');
  assert.equal(r.data.events.at(-1)!.ts, at(4000), 'oldest in range: the eth0 link down at boot + 4000 s');
  assert.deepEqual(r.data.coverage, { oldestRecordAt: at(0), recordsScanned: 54, complete: true });
  // the userspace-written "segfault" (facility 1) is not a kernel event
  assert.ok(!r.data.events.some((e) => e.comm === 'fake'));
});

test('OOM kills carry victim, memory cgroup, RSS bytes and constraint from the merged report', async () => {
  const r = await call({ kinds: ['oom_kill'] });
  assert.equal(r.data.total, 2);
  const [global, memcg] = r.data.events;
  assert.deepEqual([memcg!.pid, memcg!.comm, memcg!.cgroup, memcg!.ts], [4321, 'java', '/system.slice/billing.service', at(10000)]);
  assert.equal(memcg!.details.rssBytes, 536_530_944);
  assert.equal(memcg!.details.constraint, 'CONSTRAINT_MEMCG');
  assert.equal(memcg!.details.invokedBy, 'java');
  assert.deepEqual([global!.pid, global!.comm, global!.cgroup, global!.details.rssBytes, global!.details.constraint], [7001, 'python3', '/user.slice/user-1000.slice/session-3.scope', 7_518_289_920, 'CONSTRAINT_NONE']);
  // the kinds filter narrows the list, never the counts
  assert.equal(r.data.countsByKind.fs_error, 5);
});

test('each kind has its fields: hung task, I/O error, segfault, link, fs error, machine check', async () => {
  const r = await call({ limit: 200 });
  const by = (kind: string) => r.data.events.filter((e) => e.kind === kind);
  assert.deepEqual(by('hung_task').map((e) => [e.comm, e.pid, e.details.blockedSec]), [['jbd2/sda1-8', 312, 120]]);
  assert.deepEqual(by('io_error').map((e) => [e.device, e.details.op]).reverse(), [['sda', 'WRITE'], ['sda1', 'WRITE'], ['sdb', 'READ']]);
  assert.deepEqual(by('segfault').map((e) => [e.comm, e.pid, e.details.lib]).reverse(), [['nginx', 9876, 'libc.so.6'], ['php-fpm', 5555, 'libphp.so']]);
  assert.deepEqual(by('link_up').map((e) => [e.device, e.details.speedMbps, e.details.duplex]).reverse(), [['eth0', 100, 'half'], ['enp2s0', 1000, 'full']]);
  assert.deepEqual(by('fs_error').map((e) => [e.device, e.details.function]).reverse(), [['sda1', 'ext4_find_entry'], ['sda1', null], ['dm-1', 'xfs_trans_read_buf_map'], ['sdc1', null], ['sdd1', 'ext4_lookup']]);
  assert.deepEqual(by('mce').map((e) => e.details.corrected).reverse(), [true, true, false, true]);
});

test('planted secrets in kernel messages are redacted and counted; the rendering carries no secret either', async () => {
  const r = await call({ kinds: ['fs_error'] });
  const json = JSON.stringify(r);
  assert.ok(!json.includes('Kx9vQ2mZ7pLw'), 'the planted password never leaves the tool');
  assert.ok(r.data.redactionsCount >= 1);
  const e = r.data.events.find((x) => x.device === 'sdd1')!;
  assert.match(e.message, /password=\[REDACTED\]/);
  assert.ok(!getKernelEvents.render({ ...r, data: r.data }).includes('Kx9vQ2mZ7pLw'));
});

test('paging: limit + cursor walk every event once; a cursor from other arguments is refused', async () => {
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const r = await call({ limit: 8, ...(cursor ? { cursor } : {}) });
    seen.push(...r.data.events.map((e) => `${e.ts} ${e.kind} ${e.summary}`));
    assert.equal(r.data.total, 21);
    cursor = r.truncated?.nextCursor;
    pages += 1;
  } while (cursor && pages < 10);
  assert.equal(pages, 3);
  assert.equal(seen.length, 21);
  assert.equal(new Set(seen).size, 21);
  const first = await call({ limit: 8 });
  await assert.rejects(call({ limit: 8, kinds: ['mce'], cursor: first.truncated!.nextCursor }), HostlensError);
});

test('since: relative and RFC 3339 narrow the range; more than 7 days back, the future or garbage is a tool error', async () => {
  const r = await call({ since: '-12h' }); // boot + 46800 s
  assert.equal(r.data.since, at(46_800));
  assert.deepEqual(r.data.countsByKind, { oom_kill: 0, hung_task: 0, io_error: 0, segfault: 0, link_down: 0, link_up: 0, fs_error: 3, mce: 4 });
  const exact = await call({ since: at(45_000) });
  assert.equal(exact.data.countsByKind.link_down, 1);
  assert.equal(exact.data.countsByKind.link_up, 1);
  const all = await call({ since: '-2d' });
  assert.equal(all.data.total, 23, 'the two events before -24h are back');
  assert.match(all.warnings!.join(' '), /starts at 2026-05-28T20:26:40Z \(ring buffer/);
  for (const since of ['-8d', at(100_000 + 86_400), 'yesterday', '2026-05-29']) await assert.rejects(call({ since }), HostlensError, since);
  assert.throws(() => getKernelEvents.input.parse({ limit: 201 }));
  assert.throws(() => getKernelEvents.input.parse({ kinds: ['reboot'] }));
});

test('assessments: OOM kills warning (2 < 5), hung tasks, I/O errors, fs errors and uncorrected MCE critical with evidence; quiet range all ok', async () => {
  const r = await call({});
  const a = Object.fromEntries(r.assessments!.map((x) => [x.code, x]));
  assert.deepEqual([a['kernel.oom_kills']!.status, a['kernel.oom_kills']!.value, a['kernel.oom_kills']!.threshold], ['warning', 2, 1]);
  for (const code of ['kernel.hung_tasks', 'kernel.io_errors', 'kernel.fs_errors', 'kernel.mce_uncorrected']) assert.equal(a[code]!.status, 'critical', code);
  assert.equal(a['kernel.mce_uncorrected']!.value, 1);
  assert.match(a['kernel.hung_tasks']!.evidence!.join(' '), /jbd2\/sda1-8\[312\]/);
  const quiet = await call({ since: '-1h' });
  assert.equal(quiet.data.total, 0);
  assert.ok(quiet.assessments!.every((x) => x.status === 'ok'));
  assert.match(getKernelEvents.render(r), /oom_kill 2/);
});

test('no kernel log readable: source none, an unknown assessment, not an error', async () => {
  const none = servicesAt('/nonexistent-kmsg-root');
  const r = await getKernelEvents.handler(getKernelEvents.input.parse({}), { ...ctx, services: none });
  assert.equal(r.data.source, 'none');
  assert.equal(r.data.total, 0);
  assert.deepEqual(r.assessments!.map((x) => [x.code, x.status]), [['kernel.events', 'unknown']]);
});

test('over the server: 300 events at limit 200 are cut to the 24 KiB budget and the cursor walks all 300 exactly once', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-kernel-budget-'));
  const client = new Client({ name: 'kernel-budget', version: '0' });
  try {
    mkdirSync(join(root, 'dev'));
    mkdirSync(join(root, 'proc'));
    writeFileSync(join(root, 'proc/stat'), 'btime 1780000000\n');
    writeFileSync(join(root, 'proc/uptime'), '90000.00 1\n');
    const records = Array.from({ length: 300 }, (_, i) => `6,${i},${(4000 + i) * 1_000_000},-;worker-${i}[${1000 + i}]: segfault at 0 ip 00007f3a1c2d4e10 sp 00007ffd2b3c4d50 error 4 in libc.so.6[7f3a1c28a000+155000] likely on CPU 0 (core 0, socket 0)`);
    writeFileSync(join(root, 'dev/kmsg'), `${records.join('\n')}\n`);
    const catalogue = { tools: [getKernelEvents] as unknown as ToolDefinition[], resources: [], templates: [], prompts: [] } as Catalogue;
    const server = buildServer({ catalogue, services: servicesAt(root), toolsets: ['logs'], name: 'kernel-budget', version: '0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    await client.connect(b);
    const pids = new Set<number>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await client.callTool({ name: 'get_kernel_events', arguments: { limit: 200, ...(cursor ? { cursor } : {}) } });
      assert.ok(!r.isError, JSON.stringify(r.content));
      const sc = r.structuredContent as { data: { total: number; events: Array<{ pid: number }> }; truncated?: { nextCursor?: string } };
      assert.ok(JSON.stringify(sc).length <= 24 * 1024);
      assert.equal(sc.data.total, 300);
      if (pages === 0) assert.ok(sc.data.events.length < 200, 'the first page is cut to the budget');
      for (const e of sc.data.events) {
        assert.ok(!pids.has(e.pid), `pid ${e.pid} seen twice`);
        pids.add(e.pid);
      }
      cursor = sc.truncated?.nextCursor;
      pages += 1;
    } while (cursor && pages < 40);
    assert.equal(pids.size, 300);
    assert.ok(pages > 2);
  } finally {
    await client.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
});
