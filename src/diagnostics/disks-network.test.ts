/**
 * get_disk_io and get_network diagnostics over recorded trees: two sampler ticks over busy/ then busy-later/
 * (10 s apart on the sampler's clock), the same code path as on a live host.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtureServices, servicesAt } from '../../test/fixtures/fixture-services.js';
import { getDiskIo } from '../tools/get-disk-io.js';
import { getNetwork } from '../tools/get-network.js';
import { readDiskIo } from './disks.js';
import { readNetwork } from './network.js';



const byCode = (as: Array<{ code: string; status: string }>): Record<string, string> => Object.fromEntries(as.map((a) => [a.code, a.status]));

test('disk I/O on the busy host: nvme0n1 saturated and slow, busiest first, from the sampler window', async () => {
  const r = await readDiskIo(fixtureServices('busy', 'busy-later'));
  assert.equal(r.windowSec, 10);
  assert.equal(r.data.source, 'sampler');
  assert.deepEqual(r.data.devices.map((d) => d.name), ['nvme0n1', 'xvda', 'dm-0', 'loop1']);
  assert.equal(r.data.devices[0]!.utilPct, 99);
  assert.deepEqual(byCode(r.assessments), { 'disk.util': 'critical', 'disk.await': 'warning' });
  const aw = r.assessments.find((a) => a.code === 'disk.await')!;
  assert.equal(aw.value, 160, 'the worse of read (45 ms) and write (160 ms) await');
  assert.deepEqual(r.warnings, []);
  const text = getDiskIo.render({ data: r.data, windowSec: r.windowSec, assessments: r.assessments });
  assert.match(text, /nvme0n1: util 99%/);
});

test('disk I/O: devices filter (with /dev/ prefix) and an unknown device is a warning', async () => {
  const r = await readDiskIo(fixtureServices('busy', 'busy-later'), { devices: ['/dev/xvda', 'sdz'] });
  assert.deepEqual(r.data.devices.map((d) => d.name), ['xvda']);
  assert.match(r.warnings.join('\n'), /sdz/);
  assert.deepEqual(byCode(r.assessments), { 'disk.util': 'ok', 'disk.await': 'ok' });
});

test('disk I/O: no proc/diskstats (idle fixture) is unknown, not an error', async () => {
  const r = await readDiskIo(fixtureServices('idle'));
  assert.deepEqual(r.data.devices, []);
  assert.deepEqual(byCode(r.assessments), { 'disk.unavailable': 'unknown' });
  assert.match(r.warnings.join('\n'), /diskstats/);
});

test('network on the busy host: eth0 drops and errors, retransmissions, accept-queue overflows, conntrack near max', async () => {
  const r = await readNetwork(fixtureServices('busy', 'busy-later'));
  assert.equal(r.windowSec, 10);
  const d = r.data;
  assert.deepEqual(d.interfaces.map((i) => i.name), ['eth0', 'lo', 'docker0']);
  assert.deepEqual(d.interfaces[0], {
    name: 'eth0',
    state: 'up',
    mtu: 9001,
    speedMbps: 1000,
    rxBytesPerSec: 100000000,
    txBytesPerSec: 20000000,
    rxPacketsPerSec: 70000,
    txPacketsPerSec: 40000,
    rxErrorsPerSec: 3,
    txErrorsPerSec: 0,
    rxDropsPerSec: 500,
    txDropsPerSec: 5,
    utilPct: 80, // 100 MB/s = 800 Mbit/s of 1000
  });
  assert.equal(d.interfaces[2]!.state, null, 'docker0 has no sys/class/net entry in the fixture');
  assert.equal(d.tcp.states!.TIME_WAIT, 30);
  assert.equal(d.tcp.statesTruncated, false);
  assert.deepEqual(
    { ...d.tcp, states: undefined },
    {
      states: undefined,
      statesTruncated: false,
      inUse: 1300,
      orphans: 40,
      timeWait: 28000,
      retransPct: 4, // 40000 of 1000000 segments
      retransSegsPerSec: 4000,
      outSegsPerSec: 100000,
      activeOpensPerSec: 500,
      resetsPerSec: 80,
      inErrsPerSec: 0,
      listenOverflowsPerSec: 25,
      listenDropsPerSec: 26,
    },
  );
  assert.deepEqual(d.udp, { rcvbufErrorsPerSec: 10, inErrorsPerSec: 12 });
  assert.deepEqual(d.conntrack, { count: 255000, max: 262144, usedPct: 97.3 });
  assert.deepEqual(byCode(r.assessments), {
    'network.errors': 'warning',
    'network.drops': 'critical',
    'tcp.retrans': 'warning',
    'tcp.listen_overflows': 'critical',
    'conntrack.used': 'critical',
  });
  const text = getNetwork.render({ data: d, windowSec: r.windowSec, assessments: r.assessments });
  assert.match(text, /TIME_WAIT 30/);
  assert.match(text, /conntrack 255000 \/ 262144 \(97.3%\)/);
});

test('disk I/O and network: long device and interface lists are cut to the busiest, with truncated', async () => {
  const s = fixtureServices('busy', 'busy-later');
  const disk = await readDiskIo(s, { maxDevices: 2 });
  assert.deepEqual(disk.data.devices.map((d) => d.name), ['nvme0n1', 'xvda']);
  assert.deepEqual(disk.truncated, { returned: 2, total: 4 });
  assert.equal(disk.assessments.find((a) => a.code === 'disk.util')!.status, 'critical');
  const net = await readNetwork(s, { maxInterfaces: 1 });
  assert.deepEqual(net.data.interfaces.map((i) => i.name), ['eth0']);
  assert.equal(net.data.interfaces[0]!.utilPct, 80);
  assert.deepEqual(net.truncated, { returned: 1, total: 3 });
  assert.match(getNetwork.render({ data: net.data, windowSec: net.windowSec, assessments: net.assessments, truncated: net.truncated! }), /busiest 1 of 3 interfaces/);
  assert.equal((await readNetwork(s)).truncated, undefined);
});

test('network: the TCP state count is bounded and says so', async () => {
  const r = await readNetwork(fixtureServices('busy', 'busy-later'), { maxTcpLines: 10 });
  assert.equal(r.data.tcp.statesTruncated, true);
  assert.match(r.warnings.join('\n'), /stopped after 10 sockets/);
});

test('network: a tree without proc/net (idle) gives unknowns and warnings, no throw', async () => {
  const r = await readNetwork(fixtureServices('idle'));
  assert.equal(r.data.tcp.states, null);
  assert.equal(r.data.conntrack, null);
  assert.equal(r.data.tcp.retransPct, null);
  const s = byCode(r.assessments);
  assert.equal(s['network.interfaces'], 'unknown');
  assert.equal(s['tcp.retrans'], 'unknown');
  assert.ok(r.warnings.length > 0);
});

test('disk I/O and network with an explicit windowSec measure afresh (live host)', async () => {
  const s = servicesAt();
  const seen: number[] = [];
  const disk = await readDiskIo(s, { windowSec: 0.3, progress: async (f) => void seen.push(f) });
  assert.equal(disk.data.source, 'measured');
  assert.ok(disk.windowSec >= 0.25 && disk.windowSec < 2, String(disk.windowSec));
  assert.equal(seen[seen.length - 1], 1);
  const net = await readNetwork(s, { windowSec: 0.2 });
  assert.equal(net.data.source, 'measured');
  assert.ok(net.data.interfaces.some((i) => i.name === 'lo' && i.rxBytesPerSec !== null));
});

test('sampler: ticks carry disk and network counters; measure() reads them only when asked', async () => {
  const s = fixtureServices('busy', 'busy-later');
  assert.equal(s.sampler.latest()!.disks!.find((d) => d.name === 'nvme0n1')!.readsCompleted, 502000);
  assert.equal(s.sampler.previous()!.net.stack.tcpRetransSegs, 400000);
  const plain = await s.sampler.measure(0.2, { processes: false });
  assert.equal(plain.start.disks, undefined);
  assert.equal(plain.end.net, undefined);
  const withCounters = await s.sampler.measure(0.2, { processes: false, counters: true });
  assert.equal(withCounters.start.disks!.length, 4);
  assert.equal(withCounters.end.net!.interfaces.length, 3);
});
