/** Socket table parsing: address decoding (IPv4, IPv6, IPv4-mapped), malformed lines, caps, the owner scan. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { decodeHexAddress, formatIpv6, newInodeScan, parseSocketLine, parseSocketTable, readSocketTables, scanSocketOwners, socketInodeOf } from './sockets.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const STORM = FIX + 'timewait-storm';

test('decodeHexAddress: IPv4 words are little-endian on x86 (byte-reversed), big-endian hosts print them in order', () => {
  assert.equal(decodeHexAddress('0100007F', true), '127.0.0.1');
  assert.equal(decodeHexAddress('0500000A', true), '10.0.0.5');
  assert.equal(decodeHexAddress('00000000', true), '0.0.0.0');
  assert.equal(decodeHexAddress('FFFFFFFF', true), '255.255.255.255');
  assert.equal(decodeHexAddress('7F000001', false), '127.0.0.1');
});

test('decodeHexAddress: IPv6 as four little-endian words, RFC 5952 text, IPv4-mapped', () => {
  assert.equal(decodeHexAddress('00000000000000000000000001000000', true), '::1');
  assert.equal(decodeHexAddress('00000000000000000000000000000000', true), '::');
  // 2001:db8::5 → words 20010db8 00000000 00000000 00000005, each byte-reversed
  assert.equal(decodeHexAddress('B80D0120000000000000000005000000', true), '2001:db8::5');
  assert.equal(decodeHexAddress('B80D012000000000000000002000AB00', true), '2001:db8::ab:20');
  // fe80::1:2:3:4 — the longest zero run is compressed, leading zeros dropped, lowercase
  assert.equal(decodeHexAddress('000080FE000000000100000003000000'.replace('01000000', '02000100').replace('03000000', '04000300'), true), 'fe80::1:2:3:4');
  assert.equal(decodeHexAddress('0000000000000000FFFF00000100007F', true), '::ffff:127.0.0.1');
  assert.equal(decodeHexAddress('0000000000000000FFFF00000500000A', true), '::ffff:10.0.0.5');
  // only the first of two equal zero runs is compressed; a single zero group is not
  assert.equal(formatIpv6([0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]), '2001::1:0:0:1:1');
  assert.equal(formatIpv6([0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), '2001:0:0:1::1', 'the longer run wins');
  assert.equal(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]), '2001:db8:0:1:1:1:1:1');
  for (const bad of ['', '0100007', '0100007G', '0100007F00', '00000000000000000000000001000000FF']) assert.equal(decodeHexAddress(bad, true), null, bad);
});

test('parseSocketLine: tcp, tcp6 TIME_WAIT, udp states; queues in bytes; wrong family or garbage → null', () => {
  const l = '   1: 00000000:0050 00000000:0000 0A 000001FF:00000003 00:00000000 00000000     0        0 30002 1 0000000000000000 100 0 0 10 0';
  assert.deepEqual(parseSocketLine(l, 'tcp', true), {
    proto: 'tcp', state: 'LISTEN', localAddress: '0.0.0.0', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0, uid: 0, inode: 30002, txQueueBytes: 511, rxQueueBytes: 3,
  });
  const tw = '  12: 0500000A:C350 1401000A:1538 06 00000000:00000000 03:00000F9E 00000000     0        0 0 3 0000000000000000';
  assert.equal(parseSocketLine(tw, 'tcp', true)?.state, 'TIME_WAIT');
  assert.equal(parseSocketLine(tw, 'tcp', true)?.localPort, 50000);
  assert.equal(parseSocketLine(tw, 'tcp', true)?.inode, 0);
  const u = '   0: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 30020 2 0000000000000000 0';
  assert.equal(parseSocketLine(u, 'udp', true)?.state, 'UNCONN');
  assert.equal(parseSocketLine(u, 'tcp', true)?.state, 'CLOSE', 'code 07 is CLOSE for TCP');
  assert.equal(parseSocketLine(u.replace(' 07 ', ' 0A '), 'udp', true), null, 'no LISTEN for UDP');
  assert.equal(parseSocketLine(l, 'tcp6', true), null, 'an IPv4 address in tcp6');
  for (const bad of ['', 'garbage', '   1: 00000000:0050', l.replace(' 0A ', ' 0Z '), l.replace(' 0A ', ' 00 '), l.replace(':0050', ':50'), l.replace(' 30002 ', ' x ')]) {
    assert.equal(parseSocketLine(bad, 'tcp', true), null, bad);
  }
});

test('parseSocketTable: header skipped, malformed lines counted not thrown, budget truncates', () => {
  const text = readFileSync(join(STORM, 'proc/net/tcp'), 'utf8');
  const all = parseSocketTable(text, 'tcp', 1e9, true);
  assert.equal(all.rows.length, 3028);
  assert.equal(all.badLines, 0);
  assert.equal(all.truncated, false);
  const some = parseSocketTable(text, 'tcp', 100, true);
  assert.deepEqual([some.rows.length, some.truncated], [100, true]);
  const messy = parseSocketTable(`${text.split('\n').slice(0, 3).join('\n')}\n\u0000\u0001 binary junk\n   9: ZZ\n\n${text.split('\n')[3]}`, 'tcp', 1e9, true);
  assert.deepEqual([messy.rows.length, messy.badLines], [3, 2]);
  assert.deepEqual(parseSocketTable('', 'tcp', 10, true), { rows: [], badLines: 0, truncated: false });
  assert.deepEqual(parseSocketTable('only a header', 'udp', 10, true), { rows: [], badLines: 0, truncated: false });
});

test('readSocketTables: all four tables of the storm tree; the line cap stops reading and says so', () => {
  const ctx = createCollectorContext({ root: STORM });
  const r = readSocketTables(ctx);
  assert.deepEqual(r.readable, ['tcp', 'tcp6', 'udp', 'udp6']);
  assert.equal(r.sockets.length, 3028 + 4 + 2);
  assert.equal(r.sockets.filter((s) => s.state === 'TIME_WAIT').length, 3000);
  assert.deepEqual(r.warnings, []);
  const v6 = r.sockets.filter((s) => s.proto === 'tcp6').map((s) => `${s.localAddress} ${s.remoteAddress}`);
  assert.deepEqual(v6, [':: ::', ':: ::', '::ffff:10.0.0.5 ::ffff:10.0.3.7', '2001:db8::5 2001:db8::ab:20']);
  const capped = readSocketTables(ctx, { maxLines: 500 });
  assert.equal(capped.sockets.length, 500);
  assert.equal(capped.truncated, true);
  assert.match(capped.warnings.join('\n'), /cap of 500 lines/);
  assert.deepEqual(readSocketTables(ctx, { protos: ['udp'] }).sockets.map((s) => s.localPort), [53, 40001]);
  const none = readSocketTables(createCollectorContext({ root: FIX + 'idle' }));
  assert.equal(none.sockets.length, 0);
});

test('garbage socket files: truncated mid-line, binary, wrong columns — rows that parse are kept, never a throw', () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-sockets-'));
  try {
    mkdirSync(join(root, 'proc/net'), { recursive: true });
    const good = readFileSync(join(STORM, 'proc/net/tcp'), 'utf8').split('\n').slice(0, 5).join('\n');
    writeFileSync(join(root, 'proc/net/tcp'), `${good}\n   5: 0500000A:C3`);
    writeFileSync(join(root, 'proc/net/tcp6'), Buffer.from([0xff, 0xfe, 0, 1, 10, 65, 10, 66]));
    writeFileSync(join(root, 'proc/net/udp'), 'sl local\n 0: a b c d e f g h i j k l m n o p\n');
    const r = readSocketTables(createCollectorContext({ root }));
    assert.equal(r.sockets.length, 4);
    assert.deepEqual(r.warnings, ['proc/net/tcp: 1 malformed line(s) skipped', 'proc/net/tcp6: 2 malformed line(s) skipped', 'proc/net/udp: 1 malformed line(s) skipped']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('owner scan: socket inodes → lowest pid; unreadable fd dirs counted; caps respected', () => {
  const ctx = createCollectorContext({ root: STORM });
  assert.equal(socketInodeOf('socket:[30001]'), 30001);
  assert.equal(socketInodeOf('pipe:[30001]'), null);
  const s = newInodeScan();
  scanSocketOwners(ctx, [1, 420, 640, 880, 1500, 1700, 99999], s, { maxFdsPerPid: 1000, maxFdsTotal: 10000 });
  assert.equal(s.owners.get(30001), 640);
  assert.equal(s.owners.get(30010), 880);
  assert.equal(s.owners.get(31301), 1500);
  assert.equal(s.owners.has(30003), false, 'pid 1700 has no readable fd directory');
  assert.deepEqual([s.pidsScanned, s.pidsUnreadable, s.capped], [5, 1, false], '99999 is gone, not unreadable');
  const c = newInodeScan();
  scanSocketOwners(ctx, [1500], c, { maxFdsPerPid: 10, maxFdsTotal: 10000 });
  assert.deepEqual([c.fdsScanned, c.capped], [10, true]);
});

test('timewait-storm tree is exactly what its generator writes', () => {
  const out = mkdtempSync(join(tmpdir(), 'hostlens-storm-'));
  try {
    execFileSync(process.execPath, [join(STORM, 'generate.mjs'), out]);
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const generated = walk(out).map((f) => relative(out, f)).sort();
    const committed = walk(STORM).map((f) => relative(STORM, f)).filter((f) => f !== 'generate.mjs').sort();
    assert.deepEqual(committed, generated);
    for (const f of generated) {
      const a = join(out, f);
      const b = join(STORM, f);
      if (lstatSync(a).isSymbolicLink()) assert.equal(readlinkSync(b), readlinkSync(a), f);
      else assert.equal(readFileSync(b, 'utf8'), readFileSync(a, 'utf8'), f);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
