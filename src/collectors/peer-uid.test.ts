import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createPeerUidLookup, decodeEndpoint, endpointKey, parseTcpLine } from './peer-uid.js';

// Recorded on Linux 6.18 (x86_64): a dual-stack listener on port 0xB4E9 with one ::1 client and one IPv4 client.
const TCP6_HEADER = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const TCP6 = [
  TCP6_HEADER,
  '   0: 00000000000000000000000000000000:B4E9 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41651 1 00000000af5a9233 100 0 0 10 0',
  '   1: 00000000000000000000000001000000:B4E9 00000000000000000000000001000000:905A 01 00000000:00000000 00:00000000 00000000     0        0 41654 1 00000000775b4a6f 20 0 0 10 -1',
  '   2: 0000000000000000FFFF00000100007F:B4E9 0000000000000000FFFF00000100007F:E112 01 00000000:00000000 00:00000000 00000000     0        0 41655 1 00000000087b191e 20 0 0 10 -1',
  '   3: 00000000000000000000000001000000:905A 00000000000000000000000001000000:B4E9 01 00000000:00000000 00:00000000 00000000  1000        0 41652 2 00000000b292c833 20 0 0 10 -1',
  '   4: 00000000000000000000000001000000:AAF5 00000000000000000000000001000000:B4E9 06 00000000:00000000 03:00001592 00000000     0        0 0 3 0000000002692d95',
  '   5: 0000000000000000FFFF00000100007F:C001 0000000000000000FFFF00000100007F:B4E9 01 00000000:00000000 00:00000000 00000000  1002        0 41660 2 00000000b292c833 20 0 0 10 -1',
];
const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ';
const tcpLine = (sl: number, local: string, remote: string, state: string, uid: number, inode: number): string =>
  `${String(sl).padStart(4)}: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 ${inode} 2 00000000c1033cf1 20 0 0 10 -1                     `;
const TCP = [
  TCP_HEADER,
  '   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1085 1 000000008f73d76f 100 0 0 10 0                      ',
  tcpLine(1, '0100007F:E112', '0100007F:B4E9', '01', 65534, 41653),
  // An orphaned socket (FIN_WAIT2, no inode) and a TIME_WAIT entry both print uid 0: neither may pass for root.
  tcpLine(2, '0100007F:E113', '0100007F:B4E9', '05', 0, 0),
  '   3: 0100007F:E114 0100007F:B4E9 06 00000000:00000000 03:00001592 00000000     0        0 0 3 0000000002692d95',
];

const SERVER = { address: '::ffff:127.0.0.1', port: 0xb4e9 };

describe('/proc/net/tcp(6) lines', () => {
  test('parses IPv4, IPv6 and v4-mapped lines; the header and garbage are null', () => {
    assert.deepEqual(parseTcpLine(TCP[2] ?? ''), { local: '0100007F:E112', remote: '0100007F:B4E9', state: 1, uid: 65534, inode: 41653 });
    assert.deepEqual(parseTcpLine(TCP6[3] ?? ''), {
      local: '0000000000000000FFFF00000100007F:B4E9',
      remote: '0000000000000000FFFF00000100007F:E112',
      state: 1,
      uid: 0,
      inode: 41655,
    });
    assert.deepEqual(parseTcpLine(TCP6[5] ?? ''), {
      local: '00000000000000000000000001000000:AAF5',
      remote: '00000000000000000000000001000000:B4E9',
      state: 6,
      uid: 0,
      inode: 0,
    });
    for (const junk of [TCP_HEADER, TCP6_HEADER, '', '   7: zz', '   1: 0100007F:E112 00000000000000000000000001000000:905A 01 a b c 0 0 1', 'x'.repeat(10_000), '\u0000\u00ff']) {
      assert.equal(parseTcpLine(junk), null, JSON.stringify(junk.slice(0, 40)));
    }
  });

  test('endpoints encode as the kernel prints them (host byte order per 32-bit word) and decode back', () => {
    assert.equal(endpointKey({ address: '127.0.0.1', port: 0xe112 }, 'tcp', 'LE'), '0100007F:E112');
    assert.equal(endpointKey({ address: '127.0.0.1', port: 0xe112 }, 'tcp', 'BE'), '7F000001:E112');
    assert.equal(endpointKey({ address: '::ffff:127.0.0.1', port: 0xe112 }, 'tcp', 'LE'), '0100007F:E112');
    assert.equal(endpointKey({ address: '127.0.0.1', port: 0xb4e9 }, 'tcp6', 'LE'), '0000000000000000FFFF00000100007F:B4E9');
    assert.equal(endpointKey({ address: '::1', port: 0x905a }, 'tcp6', 'LE'), '00000000000000000000000001000000:905A');
    assert.equal(endpointKey({ address: '::1', port: 0x905a }, 'tcp6', 'BE'), '00000000000000000000000000000001:905A');
    assert.equal(endpointKey({ address: 'fe80::1:2%lo', port: 80 }, 'tcp6', 'BE'), 'FE800000000000000000000000010002:0050');
    assert.equal(endpointKey({ address: '::1', port: 1 }, 'tcp'), null);
    assert.equal(endpointKey({ address: 'localhost', port: 1 }, 'tcp'), null);
    assert.equal(endpointKey({ address: '127.0.0.1', port: 70_000 }, 'tcp'), null);
    assert.deepEqual(decodeEndpoint('0100007F:E112', 'LE'), { address: '127.0.0.1', port: 0xe112 });
    assert.deepEqual(decodeEndpoint('0000000000000000FFFF00000100007F:B4E9', 'LE'), { address: '::ffff:127.0.0.1', port: 0xb4e9 });
    assert.deepEqual(decodeEndpoint('00000000000000000000000001000000:905A', 'LE'), { address: '::1', port: 0x905a });
    assert.equal(decodeEndpoint('0100007F', 'LE'), null);
  });
});

describe('peer uid lookup over recorded tables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-peer-uid-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const tables = (name: string, tcp: string[] | null, tcp6: string[] | null): string => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    if (tcp) writeFileSync(join(d, 'tcp'), `${tcp.join('\n')}\n`);
    if (tcp6) writeFileSync(join(d, 'tcp6'), `${tcp6.join('\n')}\n`);
    return d;
  };

  test('finds the client end in tcp (IPv4 client of a dual-stack server) and tcp6 (::1 and v4-mapped clients)', async () => {
    const lookup = createPeerUidLookup({ procNet: tables('basic', TCP, TCP6) });
    assert.equal(await lookup({ address: '::ffff:127.0.0.1', port: 0xe112 }, SERVER), 65534);
    // Line 3 (the client's end, uid 1000), not line 1 (the server's end of the same connection, uid 0).
    assert.equal(await lookup({ address: '::1', port: 0x905a }, { address: '::1', port: 0xb4e9 }), 1000);
    assert.equal(await lookup({ address: '::ffff:127.0.0.1', port: 0xc001 }, SERVER), 1002);
  });

  test('TIME_WAIT and inode-0 entries, unknown pairs, garbage and unreadable tables are unknown (null)', async () => {
    const lookup = createPeerUidLookup({ procNet: tables('dead', TCP, TCP6) });
    assert.equal(await lookup({ address: '127.0.0.1', port: 0xe113 }, SERVER), null);
    assert.equal(await lookup({ address: '127.0.0.1', port: 0xe114 }, SERVER), null);
    assert.equal(await lookup({ address: '::1', port: 0xaaf5 }, { address: '::1', port: 0xb4e9 }), null);
    assert.equal(await lookup({ address: '127.0.0.1', port: 0xe115 }, SERVER), null);
    assert.equal(await createPeerUidLookup({ procNet: join(dir, 'missing') })({ address: '127.0.0.1', port: 1 }, SERVER), null);
    const garbage = tables('garbage', ['\u0000'.repeat(5000), 'not a table', `${'9'.repeat(300)}: `], ['x']);
    assert.equal(await createPeerUidLookup({ procNet: garbage })({ address: '127.0.0.1', port: 0xe112 }, SERVER), null);
    assert.equal(await lookup({ address: 'not-an-ip', port: 1 }, SERVER), null);
  });

  test('many lines read in small chunks: lines cut across reads still match; concurrent lookups share passes', async () => {
    const lines = [TCP_HEADER];
    for (let i = 0; i < 20_000; i += 1) lines.push(tcpLine(i, `0200007F:${(1024 + i).toString(16).toUpperCase().padStart(4, '0')}`, '0100007F:B4E9', '01', 2000 + (i % 7), 100_000 + i));
    lines.push(tcpLine(20_000, '0100007F:E112', '0100007F:B4E9', '01', 4242, 99));
    const lookup = createPeerUidLookup({ procNet: tables('many', lines, null), chunkBytes: 1000 });
    assert.equal(await lookup({ address: '127.0.0.1', port: 0xe112 }, SERVER), 4242);
    const wanted = Array.from({ length: 200 }, (_, k) => k * 97);
    const uids = await Promise.all(wanted.map((i) => lookup({ address: '127.0.0.2', port: 1024 + i }, SERVER)));
    assert.deepEqual(uids, wanted.map((i) => 2000 + (i % 7)));
  });
});

describe('peer uid lookup on this host', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  after(() => {
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
  });

  const listen = async (host: string): Promise<{ server: Server; accepted: Socket[] }> => {
    const accepted: Socket[] = [];
    const server = createServer((s) => accepted.push(s));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
    return { server, accepted };
  };
  const dial = (port: number, host: string): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(s));
      s.once('error', reject);
      sockets.push(s);
    });
  const peerOf = (s: Socket) => [{ address: s.remoteAddress ?? '', port: s.remotePort ?? 0 }, { address: s.localAddress ?? '', port: s.localPort ?? 0 }] as const;

  test('a connection from this process is owned by its effective uid (IPv4 and IPv6)', async (t) => {
    const lookup = createPeerUidLookup();
    for (const host of ['127.0.0.1', '::1']) {
      const { server, accepted } = await listen(host);
      try {
        await dial((server.address() as AddressInfo).port, host);
      } catch {
        t.diagnostic(`${host}: not available here`);
        continue;
      }
      while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5));
      const [client, local] = peerOf(accepted[0] as Socket);
      assert.equal(await lookup(client, local), process.geteuid?.(), host);
    }
  });

  test('cost with thousands of sockets open (diagnostic, not an assertion)', async (t) => {
    const CONNECTIONS = Number(process.env.PEER_UID_CONNECTIONS ?? 5_000); // two sockets each
    const { server, accepted } = await listen('127.0.0.1');
    const port = (server.address() as AddressInfo).port;
    for (let i = 0; i < CONNECTIONS; i += 500) await Promise.all(Array.from({ length: Math.min(500, CONNECTIONS - i) }, () => dial(port, '127.0.0.1')));
    while (accepted.length < CONNECTIONS) await new Promise((r) => setTimeout(r, 5));
    const bytes = readFileSync('/proc/net/tcp').length;
    const lookup = createPeerUidLookup();
    const held = monitorEventLoopDelay({ resolution: 1 });
    held.enable();
    const times: number[] = [];
    for (let k = 0; k < 20; k += 1) {
      const target = accepted[Math.floor((k / 20) * accepted.length)] as Socket;
      const [client, local] = peerOf(target);
      const started = performance.now();
      assert.equal(await lookup(client, local), process.geteuid?.());
      times.push(performance.now() - started);
    }
    held.disable();
    const burst = performance.now();
    await Promise.all(accepted.slice(0, 1000).map((s) => lookup(...peerOf(s))));
    const burstMs = performance.now() - burst;
    const syncStart = performance.now();
    readFileSync('/proc/net/tcp');
    const syncMs = performance.now() - syncStart;
    times.sort((a, b) => a - b);
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    t.diagnostic(`${CONNECTIONS * 2} sockets, /proc/net/tcp ${(bytes / 1e6).toFixed(2)} MB`);
    t.diagnostic(`one lookup: median ${ms(times[10] ?? 0)}, max ${ms(times[19] ?? 0)}; 1,000 concurrent lookups: ${ms(burstMs)} in all`);
    t.diagnostic(`event loop delay during the lookups: max ${ms(held.max / 1e6)}, p50 ${ms(held.percentile(50) / 1e6)} (a synchronous whole read of the table: ${ms(syncMs)})`);
  });
});
