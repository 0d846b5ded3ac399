/**
 * peer-process.ts against real sockets: a child process opens a server and N
 * client connections to it; every client socket's inode (from /proc/net/tcp,
 * peer-uid.ts) resolves to the child's pid and start time. A burst of lookups
 * shares passes; the cost of one pass over ≈ 1,000 sockets is printed
 * (t.diagnostic), never asserted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { createPeerProcessLookup } from './peer-process.js';
import type { PeerProcessPass } from './peer-process.js';
import { createPeerSocketLookup } from './peer-uid.js';
import { parseProcStat } from './processes.js';

const uid = process.geteuid?.() ?? 0;

/** Opens a loopback server and `n` connections to it; prints {port, clients: [local ports]}; exits when stdin closes. */
const CHILD = String.raw`
const net = require('node:net');
const n = Number(process.argv[1]);
const held = [];
const server = net.createServer((s) => held.push(s)).listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  const clients = [];
  for (let i = 0; i < n; i++) {
    clients.push(await new Promise((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => resolve(c)).on('error', reject);
    }));
  }
  process.stdout.write(JSON.stringify({ port, clients: clients.map((c) => c.localPort) }) + '\n');
});
process.stdin.on('end', () => process.exit(0)).resume();
`;

interface Child {
  child: ChildProcess;
  port: number;
  clients: number[];
}

async function openChild(n: number): Promise<Child> {
  const child = spawn(process.execPath, ['-e', CHILD, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  const { port, clients } = JSON.parse(line) as { port: number; clients: number[] };
  return { child, port, clients };
}

const startOf = (pid: number): number => parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'), 4096)!.startTimeTicks;

describe('peer process: real sockets', { skip: process.platform !== 'linux' }, () => {
  const sockets = createPeerSocketLookup();
  let small: Child;
  let big: Child;
  before(async () => {
    small = await openChild(8);
    big = await openChild(500); // 500 client ends + 500 accepted ends + the listener ≈ 1,000 socket fds
  });
  after(() => {
    for (const c of [small, big]) c?.child.stdin?.end();
  });

  const inodeOf = async (c: Child, clientPort: number): Promise<number> => {
    const found = await sockets({ address: '127.0.0.1', port: clientPort }, { address: '127.0.0.1', port: c.port });
    assert.ok(found, `socket 127.0.0.1:${clientPort} in /proc/net/tcp`);
    assert.equal(found.uid, uid);
    return found.inode;
  };

  test('each client socket resolves to the child holding it, with its start time', async () => {
    const lookup = createPeerProcessLookup();
    const pid = small.child.pid!;
    for (const port of small.clients) {
      const found = await lookup(await inodeOf(small, port), uid);
      assert.deepEqual(found, { pid, startTime: startOf(pid) });
    }
  });

  test('a socket of this process resolves to this process; an unknown inode, or another uid, to null', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const client: Socket = connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    try {
      const lookup = createPeerProcessLookup({ passes: 1 });
      const inode = (await sockets({ address: '127.0.0.1', port: client.localPort! }, { address: '127.0.0.1', port }))!.inode;
      assert.equal((await lookup(inode, uid))?.pid, process.pid);
      assert.equal(await lookup(0x7fff_fff0, uid), null, 'no process holds that inode');
      assert.equal(await lookup(inode, 4_000_000), null, 'no process of that uid holds it');
      assert.equal(await lookup(0, uid), null);
      const passes: PeerProcessPass[] = [];
      const hungUp = createPeerProcessLookup({ onPass: (p) => passes.push(p) });
      assert.equal(await hungUp(inode, uid, () => false), null, 'a connection already closed is not looked for');
      assert.equal(passes.length, 0);
    } finally {
      client.destroy();
      server.close();
    }
  });

  test('400 concurrent lookups share passes; the cost of one pass over ≈ 1,000 sockets', async (t) => {
    const inodes = await Promise.all(big.clients.slice(0, 400).map((p) => inodeOf(big, p)));
    const passes: PeerProcessPass[] = [];
    const lookup = createPeerProcessLookup({ onPass: (p) => passes.push(p), passes: 1 });
    const pid = big.child.pid!;
    const started = performance.now();
    const found = await Promise.all(inodes.map((inode) => lookup(inode, uid)));
    const burstMs = performance.now() - started;
    assert.ok(found.every((f) => f?.pid === pid), 'every socket belongs to the child');
    assert.equal(passes.length, 1, 'one pass answered all 400');

    // Cold lookups (no hot pids, no map) of one socket of the big child: it is young, so found after a few tables.
    const cold: PeerProcessPass[] = [];
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const single = createPeerProcessLookup({ onPass: (p) => cold.push(p) });
      const s = performance.now();
      assert.equal((await single(inodes[i]!, uid))?.pid, pid);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    // A whole pass: an inode nobody holds makes it read every fd table of this uid; the loop's delay meanwhile.
    const whole: PeerProcessPass[] = [];
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    assert.equal(await createPeerProcessLookup({ passes: 1, onPass: (p) => whole.push(p) })(0x7fff_fff0, uid), null);
    loop.disable();
    // Once a pass is over, its map answers a socket it saw without another pass.
    const warmPasses: PeerProcessPass[] = [];
    const warm = createPeerProcessLookup({ onPass: (p) => warmPasses.push(p) });
    await warm(inodes[0]!, uid);
    await new Promise((r) => setImmediate(r));
    const s = performance.now();
    assert.equal((await warm(inodes[1]!, uid))?.pid, pid);
    const reuseMs = performance.now() - s;
    assert.equal(warmPasses.length, 1, 'the second lookup made no pass');
    const w = whole[0]!;
    const ms = (v: number): string => `${v.toFixed(2)} ms`;
    t.diagnostic(
      `whole pass: ${w.pids} pids, ${w.fdTables} fd tables, ${w.fds} fds in ${ms(w.ms)}, ${w.slices} slices, longest ${ms(w.longestSliceMs)}, ` +
        `event-loop delay max ${ms(loop.max / 1e6)}; a young client's socket, cold: median ${ms(times[5]!)}, max ${ms(times[9]!)} ` +
        `(${cold[0]!.fdTables} fd tables, ${cold[0]!.fds} fds); 400 concurrent lookups: ${ms(burstMs)} in all, ` +
        `${passes.length} pass of ${passes[0]!.fds} fds; a later lookup answered by the map: ${ms(reuseMs)}`,
    );
  });
});
