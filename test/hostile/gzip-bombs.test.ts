/**
 * Gzip bombs among a log's rotations: x.log.1.gz … x.log.50.gz, each ≈ 100 KB that inflates to 100 MiB. Eight
 * concurrent read_log_file calls with includeRotated over real HTTP while a worker polls /healthz
 * (loop-probe.ts): every call answers, within the result budget, with a warning that the per-call decompression
 * budget was used up. The /healthz latency is printed (t.diagnostic), never asserted: timings are not test
 * conditions here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TOOLSETS } from '../../src/contracts/scopes.js';
import { MAX_GZ_TOTAL_BYTES } from '../../src/collectors/logfile.js';
import { createHttpApp } from '../../src/http/app.js';
import { createTelemetry } from '../../src/http/telemetry.js';
import type { HttpApp } from '../../src/http/app.js';
import { createProductFactory } from '../../src/app/product-factory.js';
import { createServices } from '../../src/app/create-services.js';
import type { RunningServices } from '../../src/app/create-services.js';
import { modernMeta, parseSse, postModern } from '../http/helpers.js';
import { writeGzipBombs } from './gzip-bomb.js';
import { formatLoopStats, probeDuring } from './loop-probe.js';

const BOMBS = 50;
const CONCURRENT = 8;

async function callTool(url: string, name: string, args: Record<string, unknown>): Promise<{ isError?: boolean; structuredContent?: unknown; content?: unknown }> {
  const res = await postModern(url, { method: 'tools/call', params: { name, arguments: args, _meta: modernMeta() } });
  const body = await res.text();
  const msg = res.headers.get('content-type')?.includes('text/event-stream')
    ? JSON.parse(parseSse(body).events.map((e) => e.data).filter(Boolean).at(-1)!)
    : JSON.parse(body);
  assert.ok(msg.result, `no result: ${body.slice(0, 300)}`);
  return msg.result;
}

describe('gzip bombs among the rotations', { timeout: 300_000 }, () => {
  let dir: string;
  let services: RunningServices;
  let app: HttpApp;
  let url: string;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-bombs-'));
    writeFileSync(join(dir, 'x.log'), 'Nov 24 10:00:00 host app: current\n');
    writeGzipBombs(join(dir, 'x.log'), BOMBS);
    services = createServices({ root: '/', changeWatch: false, startSampler: false, logFiles: [`${dir}/*.log`], toolConcurrency: CONCURRENT });
    // Metrics on, so the probe also reads the server's own event-loop delay (serverLag).
    const telemetry = createTelemetry({ auditLog: { path: null, maxBytes: 0, keep: 0 }, metrics: true, authOn: false });
    app = createHttpApp({ factory: createProductFactory({ services, toolsets: [...TOOLSETS] }), port: 0, telemetry });
    ({ url, port } = await app.listen());
    // One small call first, so the figures below are about the bombs, not the first call's one-off setup.
    await callTool(url, 'read_log_file', { path: join(dir, 'x.log'), lines: 1 });
  });
  after(async () => {
    await app?.close();
    services?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${CONCURRENT} concurrent calls over ${BOMBS} bombs: bounded output, a budget warning, /healthz answered throughout`, async (t) => {
    const { result, stats } = await probeDuring(
      port,
      () => Promise.all(Array.from({ length: CONCURRENT }, () => callTool(url, 'read_log_file', { path: join(dir, 'x.log'), includeRotated: true, lines: 1000 }))),
      { serverLag: true },
    );
    t.diagnostic(formatLoopStats(`/healthz under ${CONCURRENT} × read_log_file over ${BOMBS} gzip bombs (100 MiB each)`, stats));
    for (const r of result) {
      assert.notEqual(r.isError, true, JSON.stringify(r).slice(0, 300));
      const env = r.structuredContent as { data: { lines: Array<{ text: string }>; filesRead: unknown[] }; warnings?: string[] };
      assert.ok(JSON.stringify(env).length <= services.limits.maxResultBytes + 1024, 'within the result budget');
      assert.ok(env.data.lines.length <= 1000);
      assert.equal(env.data.lines.at(-1)?.text, 'Nov 24 10:00:00 host app: current');
      assert.ok(
        env.warnings?.some((w) => w.includes(`decompression budget of ${MAX_GZ_TOTAL_BYTES} bytes per call used up`) || w.includes('decompresses to more than')),
        JSON.stringify(env.warnings),
      );
    }
    assert.equal(stats.failures, 0, '/healthz answered every poll');
  });

  test('control: the same calls without the rotations (the loop figures of this machine right now)', async (t) => {
    const { stats } = await probeDuring(
      port,
      async () => {
        for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: CONCURRENT }, () => callTool(url, 'read_log_file', { path: join(dir, 'x.log'), lines: 1000 })));
      },
      { serverLag: true },
    );
    t.diagnostic(formatLoopStats(`/healthz under 20 rounds of ${CONCURRENT} × read_log_file without rotations`, stats));
  });
});
