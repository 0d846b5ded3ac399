/**
 * Bench (not a test): how long search_logs holds a spawned `hostlens serve`'s event loop. Builds (once, cached
 * in $BENCH_DIR, default /tmp/hostlens-bench-journal) a 60,000-entry journal, then per round and mode runs 4
 * concurrent calls (maxScan 20,000) with the loop probe on and prints /healthz p50/p99/max and the server's own
 * event-loop delay. With TRACE_GC=1 the server runs with --trace-gc and each window's Mark-Compact pauses are
 * listed. SERVER_NODE_ARGS adds node flags for the server (e.g. an --import'ed measuring hook).
 *
 *   node --import tsx test/hostile/search-logs-loop.bench.ts [rounds=3]
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, childEnv, repoRoot } from '../e2e/helpers.js';
import { MODERN, ACCEPT, modernMeta } from '../http/helpers.js';
import { buildBigJournal } from './big-journal.js';
import { formatLoopStats, probeDuring } from './loop-probe.js';

const rounds = Number(process.argv[2] ?? 3);
const dir = process.env.BENCH_DIR ?? '/tmp/hostlens-bench-journal';
const journal = join(dir, 'journal');
// the entries must fall within search_logs' default last hour: built fresh each run (≈ 10 s) unless REUSE=1
if (!existsSync(journal) || process.env.REUSE !== '1') {
  rmSync(dir, { recursive: true, force: true });
  buildBigJournal(dir, 60_000, 50);
}

const traceGc = process.env.TRACE_GC === '1';
const extra = process.env.SERVER_NODE_ARGS ? process.env.SERVER_NODE_ARGS.split(' ') : [];
const child = spawn(process.execPath, [...(traceGc ? ['--trace-gc'] : []), ...extra, ...CLI, 'serve', '--port', '0'], {
  cwd: repoRoot,
  env: childEnv({ HOSTLENS_RATE_LIMIT: '1000,2000', HOSTLENS_TOOLSETS: 'core,logs', HOSTLENS_JOURNAL_DIRECTORY: journal }),
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
let err = '';
child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
const port = await new Promise<number>((resolve, reject) => {
  const t = setInterval(() => {
    const m = /"msg":"listening"[^\n]*"url":"http:\/\/[^:/]+:(\d+)/.exec(err);
    if (m) {
      clearInterval(t);
      resolve(Number(m[1]));
    }
  }, 50);
  child.once('exit', () => reject(new Error(`serve exited: ${err.slice(-2000)}`)));
});
const url = `http://127.0.0.1:${port}/mcp`;

async function call(mode: string): Promise<number> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: mode, method: 'tools/call', params: { name: 'search_logs', arguments: { mode, maxScan: 20_000 }, _meta: modernMeta() } });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'search_logs' }, body });
  const msg = (await res.json()) as { result: { isError?: boolean; structuredContent?: { data: { scannedCount: number } } } };
  if (res.status !== 200 || msg.result.isError) throw new Error(`search_logs ${mode}: ${JSON.stringify(msg).slice(0, 500)}`);
  return msg.result.structuredContent!.data.scannedCount;
}

const { stats: idle } = await probeDuring(port, () => new Promise((r) => setTimeout(r, 1000)), { serverLag: true });
console.log(formatLoopStats('idle 1 s', idle));
for (let round = 1; round <= rounds; round++) {
  for (const mode of ['patterns', 'facets', 'entries']) {
    const mark = out.length;
    const t0 = performance.now();
    if (process.env.TURN_CPU_FILE) child.kill('SIGUSR2'); // a --import'ed measuring hook's window mark
    const { stats } = await probeDuring(port, () => Promise.all([call(mode), call(mode), call(mode), call(mode)]), { serverLag: true });
    if (process.env.TURN_CPU_FILE) child.kill('SIGUSR2'); // a --import'ed measuring hook's window mark
    const wall = Math.round(performance.now() - t0);
    console.log(formatLoopStats(`round ${round} ${mode} ×4 (${wall} ms)`, stats));
    if (traceGc) {
      const pauses = [...out.slice(mark).matchAll(/(Mark-Compact|Scavenge|Mark-Compact \(reduce\))[^\n]*?([\d.]+) \/ ([\d.]+) ms/g)].map((m) => ({ kind: m[1]!, ms: Number(m[2]) }));
      const mc = pauses.filter((p) => p.kind.startsWith('Mark')).map((p) => p.ms);
      const sc = pauses.filter((p) => p.kind === 'Scavenge').map((p) => p.ms);
      console.log(`  gc: ${mc.length} Mark-Compact [${mc.join(', ')}] ms; ${sc.length} Scavenge, max ${Math.max(0, ...sc)} ms, total ${Math.round(sc.reduce((a, b) => a + b, 0))} ms`);
      const heaps = [...out.slice(mark).matchAll(/ ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/g)].map((m) => Number(m[1]));
      if (heaps.length) console.log(`  heap before GC: max ${Math.max(...heaps)} MB`);
    }
  }
}
child.kill('SIGTERM');
