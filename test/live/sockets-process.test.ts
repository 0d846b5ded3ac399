/**
 * Live: list_sockets and get_process against real child processes on this machine — a TCP listener, a
 * process holding 2,000 open files under a raised RLIMIT_NOFILE, and one with a planted secret in its
 * environment. Every child is killed in `after`, and every wait is bounded.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import type { ToolContext } from '../../src/definitions/types.js';
import { pct } from '../../src/collectors/read.js';
import { getProcess } from '../../src/tools/get-process.js';
import { listSockets } from '../../src/tools/list-sockets.js';
import { servicesAt } from '../fixtures/fixture-services.js';

const ctx = { services: servicesAt(), served: new Map(), signal: new AbortController().signal, progress: async () => {} } as ToolContext;
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Spawns a child and resolves with its first stdout line (bounded: 15 s). */
function startChild(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...(env ? { env } : {}) });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`child ${command} did not report ready within 15 s`)), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited early with ${code}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ child, line: buf.slice(0, nl).trim() });
      }
    });
  });
}

const KEEP_ALIVE = 'setInterval(() => {}, 1000);';

test('live: a child listening on a free TCP port is found by list_sockets {state: LISTEN, port} and get_process.listeningPorts', async () => {
  // The child binds port 0: the kernel picks a free port, which the child reports.
  const { child, line } = await startChild(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port); }); ${KEEP_ALIVE}`,
  ]);
  const port = Number(line);
  assert.ok(port > 0 && port < 65536, line);
  const r = await listSockets.handler(listSockets.input.parse({ state: 'LISTEN', port }), ctx);
  assert.equal(r.data.sockets!.length, 1, JSON.stringify(r.data.sockets));
  const s = r.data.sockets![0]!;
  assert.deepEqual([s.proto, s.state, s.localAddress, s.localPort], ['tcp', 'LISTEN', '127.0.0.1', port]);
  assert.equal(s.pid, child.pid);
  assert.equal(s.comm, 'node');
  assert.ok(s.inode > 0);
  const byPid = await listSockets.handler(listSockets.input.parse({ pid: child.pid, state: 'listening' }), ctx);
  assert.deepEqual(byPid.data.sockets!.map((x) => `${x.proto} ${x.localAddress}:${x.localPort} ${x.pid}`), [`tcp 127.0.0.1:${port} ${child.pid}`]);
  const grouped = await listSockets.handler(listSockets.input.parse({ groupBy: 'process', state: 'LISTEN', limit: 200 }), ctx);
  assert.ok(grouped.data.groups!.some((g) => g.key === `node[${child.pid}]` && g.count === 1 && g.pid === child.pid), JSON.stringify(grouped.data.groups));
  const aborted = AbortSignal.abort();
  await assert.rejects(listSockets.handler(listSockets.input.parse({ groupBy: 'process' }), { ...ctx, signal: aborted }), { name: 'AbortError' });
  const p = await getProcess.handler(getProcess.input.parse({ pid: child.pid, include: ['sockets'], windowSec: 0.2 }), ctx);
  assert.deepEqual(p.data.listeningPorts, [{ proto: 'tcp', address: '127.0.0.1', port }]);
  assert.equal(p.data.socketsByState?.LISTEN, 1);
  assert.ok((p.data.fdsByType?.socket ?? 0) >= 1);
});

test('live: a child holding 2,000 open files under RLIMIT_NOFILE 4096 — fdCount, fdLimit, fdUsedPct, fdsByType.file', async () => {
  const { child, line } = await startChild('/bin/sh', [
    '-c',
    `ulimit -n 4096 && exec "${process.execPath}" -e "const fs = require('node:fs'); for (let i = 0; i < 2000; i++) fs.openSync('/dev/null', 'r'); console.log('ready'); ${KEEP_ALIVE}"`,
  ]);
  assert.equal(line, 'ready');
  const r = await getProcess.handler(getProcess.input.parse({ pid: child.pid, windowSec: 0.2 }), ctx);
  const d = r.data;
  assert.equal(d.fdLimit, 4096);
  // 2000 opened + node's own baseline (stdio, epoll, eventfd, pipes, libuv threads): a few dozen at most
  assert.ok(d.fdCount !== null && d.fdCount >= 2000 && d.fdCount <= 2000 + 64, `fdCount ${d.fdCount}`);
  assert.equal(d.fdUsedPct, pct(d.fdCount, 4096));
  assert.ok(d.fdUsedPct! > 48.8 && d.fdUsedPct! < 50.5, `fdUsedPct ${d.fdUsedPct}`);
  assert.ok(d.fdsByType!.file >= 2000, `file fds ${d.fdsByType!.file}`);
  const sum = Object.values(d.fdsByType!).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - d.fdCount) <= 2, `by-type sum ${sum} vs fdCount ${d.fdCount} (read moments apart)`);
  const nofile = d.limits!.find((l) => l.name === 'Max open files')!;
  assert.deepEqual([nofile.soft, nofile.unit], [4096, 'files']);
  assert.ok(nofile.hard === null || nofile.hard >= 4096);
  assert.equal(d.comm, 'node');
  assert.equal(d.ppid, process.pid, 'sh exec-ed into node, so the parent is this test process');
  assert.ok(d.cpuPct !== null && d.cpuPct >= 0);
  assert.ok(r.windowSec !== undefined && r.windowSec >= 0.2 && r.windowSec < 5, `windowSec ${r.windowSec}`);
  const fd = r.assessments!.find((a) => a.code === 'process.fds')!;
  assert.deepEqual([fd.status, fd.value, fd.evidence], ['ok', d.fdUsedPct, [`${d.fdCount} of 4096`]]);
  // this test process is its parent: children lists it
  const me = await getProcess.handler(getProcess.input.parse({ pid: process.pid, include: ['children'], windowSec: 0.2 }), ctx);
  assert.ok(me.data.children!.some((c) => c.pid === child.pid && c.comm === 'node'));
});

test('live: envNames of a child started with SECRET_TOKEN=plantedvalue123 lists the name and never the value', async () => {
  const { child, line } = await startChild(process.execPath, ['-e', `console.log('ready'); ${KEEP_ALIVE}`], {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    SECRET_TOKEN: 'plantedvalue123',
    HOSTLENS_TEST_MARKER: 'x',
  });
  assert.equal(line, 'ready');
  const r = await getProcess.handler(getProcess.input.parse({ pid: child.pid, windowSec: 0.2 }), ctx);
  assert.ok(r.data.envNames!.includes('SECRET_TOKEN'), JSON.stringify(r.data.envNames));
  assert.ok(r.data.envNames!.includes('HOSTLENS_TEST_MARKER'));
  assert.ok(r.data.envCount! >= 3);
  const everything = JSON.stringify(r) + getProcess.render(r);
  assert.ok(everything.includes('SECRET_TOKEN'));
  assert.ok(!everything.includes('plantedvalue123'), 'the value must appear nowhere in the result');
  assert.ok(!everything.includes('plantedvalue'), 'not even a part of it');
});

test('live: a pid that does not exist is a clear tool error', async () => {
  await assert.rejects(getProcess.handler(getProcess.input.parse({ pid: 4_194_304, windowSec: 0.2 }), ctx), /no process with pid 4194304/);
});
