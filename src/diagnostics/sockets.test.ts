/**
 * list_sockets and get_process over the recorded timewait-storm tree (numbers by hand, see
 * test/fixtures/hosts/README.md), and get_network / get_limits reporting the same storm.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ToolContext } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { FIXTURE_HOSTS, fixtureServices, servicesAt } from '../../test/fixtures/fixture-services.js';
import { getProcess } from '../tools/get-process.js';
import { listSockets } from '../tools/list-sockets.js';
import { readLimitsHealth } from './limits.js';
import { readNetwork } from './network.js';

const services = servicesAt(FIXTURE_HOSTS + 'timewait-storm');
const ctx = { services, served: new Map(), signal: new AbortController().signal, progress: async () => {} } as ToolContext;
const call = (args: Record<string, unknown>) => listSockets.handler(listSockets.input.parse(args), ctx);
const ALL_COUNTS = { LISTEN: 5, ESTABLISHED: 27, CLOSE_WAIT: 1, TIME_WAIT: 3000, UNCONN: 1 };

test('storm: groupBy state summarises 3,034 sockets, 3,000 of them TIME_WAIT', async () => {
  const r = await call({ groupBy: 'state' });
  assert.deepEqual(r.data.counts, ALL_COUNTS);
  assert.equal(r.data.total, 3034);
  assert.equal(r.data.matched, 3034);
  assert.deepEqual(
    r.data.groups!.map((g) => [g.key, g.count]),
    [['TIME_WAIT', 3000], ['ESTABLISHED', 27], ['LISTEN', 5], ['CLOSE_WAIT', 1], ['UNCONN', 1]],
  );
  assert.equal(r.data.sockets, undefined);
  assert.equal(r.data.ownerScan, null, 'grouping by state needs no fd scan');
  assert.equal(r.truncated, undefined);
  assert.equal(r.page?.field, 'groups');
});

test('storm: groupBy remoteAddr names the backend the TIME_WAITs point at; the ephemeral-port assessment warns', async () => {
  const r = await call({ groupBy: 'remoteAddr', state: 'TIME_WAIT' });
  assert.deepEqual(r.data.groups, [
    { key: '10.0.1.20', count: 2600, states: { TIME_WAIT: 2600 } },
    { key: '10.0.1.21', count: 400, states: { TIME_WAIT: 400 } },
  ]);
  assert.equal(r.data.matched, 3000);
  // 10.0.1.20:5432 holds 2600 TIME_WAIT + 20 ESTABLISHED from local ports 50000–52619, all inside the
  // 3000-port range 50000–52999 → 2620 / 3000 = 87.3 % → warning (80) but not critical (95)
  const a = r.assessments!.find((x) => x.code === 'sockets.ephemeral_per_destination')!;
  assert.equal(a.status, 'warning');
  assert.equal(a.value, 87.3);
  assert.deepEqual(a.evidence, ['2620 connections (2600 in TIME_WAIT) of 3000 ports 50000–52999']);
  assert.match(a.message, /10\.0\.1\.20:5432/);
  // groups are paged like rows: 8 remote addresses over all states, 3 per page
  const p1 = await call({ groupBy: 'remoteAddr', limit: 3 });
  assert.deepEqual(p1.data.groups!.map((g) => [g.key, g.count]), [['10.0.1.20', 2620], ['10.0.1.21', 404], ['0.0.0.0', 4]]);
  assert.deepEqual([p1.truncated?.returned, p1.truncated?.total, p1.page?.field], [3, 8, 'groups']);
  const p3 = await call({ groupBy: 'remoteAddr', limit: 3, cursor: (await call({ groupBy: 'remoteAddr', limit: 3, cursor: p1.truncated!.nextCursor })).truncated!.nextCursor });
  assert.equal(p3.page?.offset, 6);
  assert.deepEqual([p3.data.groups!.length, p3.truncated?.returned, p3.truncated?.nextCursor], [2, 2, undefined]);
  // nginx :80 has 3 connections waiting of a backlog of 511 → 0.6 %
  const q = r.assessments!.find((x) => x.code === 'sockets.accept_queue')!;
  assert.deepEqual([q.status, q.value, q.evidence], ['ok', 0.6, ['3 connections waiting of a backlog of 511']]);
  assert.match(q.message, /0\.0\.0\.0:80 /);
});

test('a listener whose accept queue is nearly full is assessed; no socket table at all → unknown, not a throw', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-backlog-'));
  try {
    mkdirSync(join(root, 'proc/net'), { recursive: true });
    mkdirSync(join(root, 'proc/sys/net/ipv4'), { recursive: true });
    writeFileSync(join(root, 'proc/sys/net/ipv4/ip_local_port_range'), '32768 60999\n');
    const hdr = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
    writeFileSync(join(root, 'proc/net/tcp6'), `${hdr}\n   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000080:00000078 00:00000000 00000000  1000        0 555 1 0000000000000000 100 0 0 10 0\n`);
    const c = { ...ctx, services: servicesAt(root) };
    const r = await listSockets.handler(listSockets.input.parse({}), c);
    const q = r.assessments!.find((x) => x.code === 'sockets.accept_queue')!;
    // 120 waiting of 128 → 93.75 → 93.8 %: warning (80), not critical (95)
    assert.deepEqual([q.status, q.value], ['warning', 93.8]);
    assert.match(q.message, /\[::\]:8080/);
    assert.equal(r.assessments!.find((x) => x.code === 'sockets.ephemeral_per_destination')?.status, 'ok');
    const empty = await listSockets.handler(listSockets.input.parse({}), { ...ctx, services: servicesAt(join(root, 'nothing')) });
    assert.deepEqual(empty.data.counts, {});
    assert.deepEqual(empty.assessments!.map((a) => [a.code, a.status]), [['sockets.ephemeral_per_destination', 'unknown']]);
    assert.match(empty.warnings!.join('\n'), /no socket table/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('storm: the socket list is paged (limit 50 of 3,034) and the cursor continues without overlap', async () => {
  const first = await call({});
  assert.equal(first.data.sockets!.length, 50);
  assert.deepEqual(first.truncated && { returned: first.truncated.returned, total: first.truncated.total }, { returned: 50, total: 3034 });
  // listeners first (LISTEN then UNCONN), with their owners; the legacy process's fd table is unreadable
  assert.deepEqual(
    first.data.sockets!.slice(0, 6).map((s) => `${s.proto} ${s.state} ${s.localAddress}:${s.localPort} ${s.pid} ${s.comm} ${s.user}`),
    [
      'tcp LISTEN 0.0.0.0:80 880 nginx root',
      'tcp LISTEN 0.0.0.0:5432 640 postgres postgres',
      'tcp LISTEN 0.0.0.0:9000 null null legacy',
      'tcp6 LISTEN :::443 880 nginx root',
      'tcp6 LISTEN :::8080 1500 api app',
      'udp UNCONN 127.0.0.53:53 420 systemd-resolve systemd-resolve',
    ],
  );
  assert.equal(first.data.unowned, 1);
  assert.match(first.warnings!.join('\n'), /1 socket\(s\) have pid null: 1 process\(es\) whose fd table could not be read/);
  const nginx = first.data.sockets![0]!;
  assert.deepEqual([nginx.rxQueueBytes, nginx.txQueueBytes, nginx.inode], [3, 511, 30002]);
  const tw = await call({ state: 'TIME_WAIT', limit: 1 });
  assert.deepEqual(
    [tw.data.sockets![0]!.pid, tw.data.sockets![0]!.comm, tw.data.sockets![0]!.user, tw.data.sockets![0]!.inode, tw.data.unowned, tw.warnings],
    [null, null, null, 0, 0, []],
    'TIME_WAIT sockets have no owner, and that is not an unreadable-process warning',
  );
  const second = await call({ cursor: first.truncated!.nextCursor });
  assert.equal(second.page?.offset, 50);
  assert.equal(second.data.sockets!.length, 50);
  const key = (s: { proto: string; localAddress: string; localPort: number; remoteAddress: string; remotePort: number }) => `${s.proto}${s.localAddress}${s.localPort}${s.remoteAddress}${s.remotePort}`;
  const seen = new Set(first.data.sockets!.map(key));
  assert.ok(second.data.sockets!.every((s) => !seen.has(key(s))));
  await assert.rejects(call({ cursor: first.truncated!.nextCursor, state: 'LISTEN' }), HostlensError, 'a cursor is bound to its query');
});

test('storm: filters — listening, port (local or remote), proto, pid; groupBy process', async () => {
  const pg = await call({ port: 5432, state: 'all', limit: 200 });
  assert.equal(pg.data.matched, 1 + 20 + 2600, 'the listener (local 5432) plus every connection to remote 5432');
  assert.equal(pg.truncated?.total, 2621);
  const udp = await call({ proto: 'udp' });
  assert.deepEqual(udp.data.sockets!.map((s) => `${s.state} ${s.remoteAddress}:${s.remotePort} ${s.comm}`), ['UNCONN 0.0.0.0:0 systemd-resolve', 'ESTABLISHED 10.0.4.4:8125 api']);
  const api = await call({ pid: 1500, limit: 200 });
  assert.equal(api.data.matched, 29);
  assert.ok(api.data.sockets!.every((s) => s.pid === 1500 && s.comm === 'api'));
  assert.deepEqual(api.data.ownerScan, { pidsScanned: 1, pidsUnreadable: 0, fdsScanned: 34, capped: false });
  const legacy = await call({ pid: 1700 });
  assert.deepEqual(legacy.data.sockets, []);
  assert.match(legacy.warnings!.join('\n'), /pid 1700: its fd table is not readable/);
  const gone = await call({ pid: 4242 });
  assert.deepEqual([gone.data.matched, gone.warnings], [0, ['no process with pid 4242']]);
  const v6 = await call({ proto: 'tcp6', state: 'ESTABLISHED' });
  assert.deepEqual(v6.data.sockets!.map((s) => `${s.localAddress} ${s.remoteAddress}`), ['2001:db8::5 2001:db8::ab:20', '::ffff:10.0.0.5 ::ffff:10.0.3.7'], 'same port: by address, in code-unit order');
  const byProc = await call({ groupBy: 'process' });
  assert.deepEqual(
    byProc.data.groups!.map((g) => [g.key, g.count, g.pid]),
    [['none', 3000, null], ['api[1500]', 29, 1500], ['nginx[880]', 2, 880], ['postgres[640]', 1, 640], ['systemd-resolve[420]', 1, 420], ['unknown', 1, null]],
  );
  assert.equal(byProc.data.unowned, 1);
});

test('storm: a small line cap says the counts are lower bounds', async () => {
  const { collectSockets } = await import('./sockets.js');
  const r = await collectSockets(services, { maxLines: 1000 });
  assert.equal(r.total, 1000);
  assert.match(r.warnings.join('\n'), /cap of 1000 lines/);
});

test('storm: get_network reports the TIME_WAIT count and state histogram; get_limits estimates the ephemeral ports', async () => {
  const s = fixtureServices('timewait-storm');
  const n = await readNetwork(s);
  assert.equal(n.data.tcp.timeWait, 3000);
  assert.equal(n.data.tcp.states?.TIME_WAIT, 3000);
  assert.equal(n.data.tcp.states?.LISTEN, 5);
  assert.equal(n.data.tcp.inUse, 28 + 4);
  assert.equal(n.data.tcp.statesTruncated, false);
  assert.deepEqual(
    n.assessments.map((a) => [a.code, a.status]),
    [['network.errors', 'ok'], ['network.drops', 'ok'], ['tcp.retrans', 'ok'], ['tcp.listen_overflows', 'ok']],
  );
  // get_limits: sockstat inuse 28 + tw 3000 + TCP6 4 = 3032 ≥ 3000 ports → capped 100 % → critical
  const l = readLimitsHealth(s);
  assert.deepEqual(l.data.ephemeralPorts, { low: 50000, high: 52999, rangeSize: 3000, inUseEstimate: 3032, usedPct: 100 });
  assert.equal(l.assessments.find((a) => a.code === 'limits.ephemeral_ports')?.status, 'critical');
});

test('storm: get_process on the api — fds by type, listening ports, children, limits; unknown pid is an error', async () => {
  const r = await getProcess.handler(getProcess.input.parse({ pid: 1500, windowSec: 0.2 }), ctx);
  const d = r.data;
  assert.deepEqual([d.comm, d.user, d.uid, d.ppid, d.threads, d.rssBytes], ['api', 'app', 1000, 1, 8, 20_000 * 1024]);
  assert.equal(d.startedAt, '2025-11-20T00:53:40Z', 'btime 1763600000 + 2000 ticks / 100');
  assert.deepEqual(d.fdsByType, { socket: 29, file: 2, pipe: 2, anon: 1, other: 0 });
  assert.deepEqual([d.fdCount, d.fdLimit, d.fdUsedPct], [34, 1024, 3.3]);
  assert.deepEqual(d.listeningPorts, [{ proto: 'tcp6', address: '::', port: 8080 }]);
  assert.deepEqual(d.socketsByState, { ESTABLISHED: 27, CLOSE_WAIT: 1, LISTEN: 1 });
  assert.deepEqual(d.limits, [{ name: 'Max open files', soft: 1024, hard: 4096, unit: 'files' }]);
  assert.deepEqual(d.ctxSwitches, { voluntary: 100, involuntary: 5 });
  assert.deepEqual([d.exe, d.cwd, d.io, d.oomScore, d.envNames], [null, null, null, null, null], 'not in the recorded tree');
  assert.equal(r.assessments![0]!.code, 'process.fds');
  assert.equal(r.assessments![0]!.status, 'ok');
  const init = await getProcess.handler(getProcess.input.parse({ pid: 1, include: ['children'], windowSec: 0.2 }), ctx);
  assert.deepEqual(init.data.children!.map((c) => c.pid), [420, 640, 880, 1500, 1700]);
  assert.equal(init.data.fdsByType, null, 'fds not included');
  assert.equal(init.data.limits, null);
  const legacy = await getProcess.handler(getProcess.input.parse({ pid: 1700, windowSec: 0.2 }), ctx);
  assert.deepEqual([legacy.data.fdCount, legacy.data.fdsByType, legacy.data.listeningPorts, legacy.data.fdUsedPct], [null, null, null, null]);
  assert.equal(legacy.assessments![0]!.status, 'unknown');
  await assert.rejects(getProcess.handler(getProcess.input.parse({ pid: 4_000_000, windowSec: 0.2 }), ctx), (e: Error) => e instanceof HostlensError && e.message === 'no process with pid 4000000');
});
