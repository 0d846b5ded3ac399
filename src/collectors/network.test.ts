import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import {
  countTcpStates,
  parseNetDev,
  parseSnmp,
  parseSockstat,
  readConntrack,
  readInterfaceInfo,
  readNetCounters,
  readSockstat,
  readTcpStates,
  TCP_STATES,
} from './network.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });

test('readNetCounters: busy fixture interfaces and stack counters', () => {
  const n = readNetCounters(ctxFor('busy'));
  assert.equal(n.available, true);
  assert.deepEqual(n.warnings, []);
  assert.deepEqual(n.interfaces.map((i) => i.name), ['lo', 'eth0', 'docker0']);
  assert.deepEqual(n.interfaces[1], {
    name: 'eth0',
    rxBytes: 5000000000,
    rxPackets: 4000000,
    rxErrors: 10,
    rxDrops: 2000,
    txBytes: 3000000000,
    txPackets: 3500000,
    txErrors: 0,
    txDrops: 5,
  });
  assert.deepEqual(n.stack, {
    tcpRetransSegs: 400000,
    tcpOutSegs: 80000000,
    tcpActiveOpens: 100000,
    tcpEstabResets: 3000,
    tcpInErrs: 10,
    tcpListenOverflows: 1500,
    tcpListenDrops: 1600,
    udpRcvbufErrors: 150,
    udpInErrors: 200,
  });
});

test('readInterfaceInfo, readSockstat, readConntrack: busy fixture', () => {
  const ctx = ctxFor('busy');
  assert.deepEqual(readInterfaceInfo(ctx, 'eth0'), { name: 'eth0', state: 'up', mtu: 9001, speedMbps: 1000 });
  assert.deepEqual(readInterfaceInfo(ctx, 'lo'), { name: 'lo', state: 'unknown', mtu: 65536, speedMbps: null });
  assert.deepEqual(readInterfaceInfo(ctx, 'docker0'), { name: 'docker0', state: null, mtu: null, speedMbps: null });
  assert.deepEqual(readSockstat(ctx), { tcpInUse: 1250, tcpOrphans: 40, tcpTimeWait: 28000, tcpAlloc: 1300, tcp6InUse: 50, udpInUse: 12 });
  assert.deepEqual(readConntrack(ctx), { count: 255000, max: 262144 });
  assert.equal(readConntrack(ctxFor('idle')), null);
  assert.equal(readSockstat(ctxFor('idle')), null);
});

test('readTcpStates: busy fixture TIME_WAIT storm over tcp + tcp6; a line cap truncates', () => {
  const ctx = ctxFor('busy');
  const w: string[] = [];
  const h = readTcpStates(ctx, w);
  assert.deepEqual(w, []);
  assert.equal(h.available, true);
  assert.equal(h.truncated, false);
  assert.equal(h.counted, 43);
  assert.equal(h.states.TIME_WAIT, 30);
  assert.equal(h.states.ESTABLISHED, 7);
  assert.equal(h.states.LISTEN, 3);
  assert.equal(h.states.CLOSE_WAIT, 2);
  assert.equal(h.states.SYN_SENT, 1);
  assert.equal(h.states.FIN_WAIT2, 0);
  // tcp lines come LISTEN ×2, ESTABLISHED ×5, TIME_WAIT ×30, …: a cap of 20 stops inside the TIME_WAITs.
  const cut = readTcpStates(ctx, [], 20);
  assert.equal(cut.truncated, true);
  assert.equal(cut.counted, 20);
  assert.deepEqual([cut.states.LISTEN, cut.states.ESTABLISHED, cut.states.TIME_WAIT], [2, 5, 13]);
  const none = readTcpStates(ctxFor('idle'), []);
  assert.equal(none.available, false);
  assert.equal(none.counted, 0);
});

test('parsers: garbage and truncated input never throws', () => {
  const dev = parseNetDev('Inter-| x\n face |bytes\n  eth0: 1 2 3\nnonsense\n  ok: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n');
  assert.deepEqual(dev.interfaces.map((i) => i.name), ['ok']);
  assert.equal(dev.badLines, 2);
  // Mismatched header/value lengths are skipped; a lone header line is ignored.
  const s = parseSnmp('Tcp: A B C\nTcp: 1 2\nUdp: InErrors RcvbufErrors\nUdp: 7 8\nTcpExt: X');
  assert.deepEqual([...s.entries()], [['Udp.InErrors', 7], ['Udp.RcvbufErrors', 8]]);
  assert.deepEqual(parseSockstat('\0garbage', null), { tcpInUse: null, tcpOrphans: null, tcpTimeWait: null, tcpAlloc: null, tcp6InUse: null, udpInUse: null });
  const states = Object.fromEntries(TCP_STATES.map((k) => [k, 0])) as Record<(typeof TCP_STATES)[number], number>;
  const c = countTcpStates('header\n  0: 0100007F:0016 00000000:0000 0A 0\n  1: bad line\n  2: 0100007F:0016 00000000:0000 FF 0\n', states, 100);
  assert.equal(c.counted, 1);
  assert.equal(states.LISTEN, 1);
  assert.equal(c.badLines, 2);
  const n = readNetCounters(createCollectorContext({ root: '/nonexistent-root' }));
  assert.equal(n.available, false);
  assert.deepEqual(n.interfaces, []);
  assert.equal(n.stack.tcpRetransSegs, null);
  assert.ok(n.warnings.some((x) => /proc\/net\/dev/.test(x)));
});

test('network collectors: live /proc', () => {
  const ctx = createCollectorContext();
  const n = readNetCounters(ctx);
  assert.equal(n.available, true);
  assert.ok(n.interfaces.some((i) => i.name === 'lo'), 'lo is always there');
  assert.equal(typeof n.stack.tcpOutSegs, 'number');
  const h = readTcpStates(ctx, []);
  assert.equal(h.available, true);
  assert.equal(readInterfaceInfo(ctx, 'lo').mtu !== null, true);
});
