import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isHostlensError } from '../contracts/errors.js';
import { createPrometheusClient, rangeStep } from './prometheus.js';
import type { PrometheusClient } from './prometheus.js';
import { prometheusSkip, startNodeExporter, startPrometheus } from '../../test/support/prometheus.js';
import type { Exporter, PrometheusServer } from '../../test/support/prometheus.js';

const IDLE = fileURLToPath(new URL('../../test/fixtures/hosts/idle/', import.meta.url));

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('prometheus client: rangeStep', () => {
  it('keeps floor(span/step)+1 within the budget, never below the minimum step', () => {
    for (const [span, budget] of [[3600, 60], [3600, 61], [86_400, 11_000], [59, 60], [0, 10], [10, 1], [7, 2]] as const) {
      const step = rangeStep(1000, 1000 + span, budget);
      assert.ok(Math.floor(span / step) + 1 <= budget, `span ${span} budget ${budget} step ${step}`);
      assert.ok(step >= 1);
    }
    assert.equal(rangeStep(0, 3600, 61), 60);
    assert.equal(rangeStep(0, 60, 1000, 15), 15);
    // Prometheus answers at most 11,000 points per series whatever the budget.
    assert.ok(Math.floor(1_000_000 / rangeStep(0, 1_000_000, 1e9)) + 1 <= 11_000);
    assert.throws(() => rangeStep(10, 0, 10), (e) => isHostlensError(e, 'invalid_argument'));
    assert.throws(() => rangeStep(0, 10, 0), (e) => isHostlensError(e, 'invalid_argument'));
  });
});

describe('prometheus client: redirects and URLs', () => {
  it('refuses a 3xx without contacting its target, and sends the token only to its own origin', async () => {
    const elsewhere: IncomingHttpHeaders[] = [];
    const target = createServer((req, res) => {
      elsewhere.push(req.headers);
      res.end('{"status":"success","data":{"resultType":"vector","result":[]}}');
    });
    const targetUrl = await listen(target);
    const seen: IncomingHttpHeaders[] = [];
    const redirector = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.writeHead(302, { location: `${targetUrl}/api/v1/query` }).end();
    });
    const url = await listen(redirector);
    try {
      const client = createPrometheusClient({ url, token: 's3cret-token', timeoutMs: 5_000, maxBytes: 65_536 });
      await assert.rejects(client.instant('up'), (e) => isHostlensError(e, 'unavailable') && /redirect/.test(e.message) && !e.message.includes('s3cret'));
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.authorization, 'Bearer s3cret-token');
      assert.equal(elsewhere.length, 0, 'the redirect target was contacted');
    } finally {
      redirector.close();
      target.close();
    }
  });

  it('refuses URLs it must not use', () => {
    for (const url of ['not a url', 'file:///etc/passwd', 'http://user:pw@127.0.0.1:9090']) {
      assert.throws(() => createPrometheusClient({ url, timeoutMs: 1_000, maxBytes: 1_000 }), (e) => isHostlensError(e, 'invalid_argument'));
    }
  });

  it('an unreachable Prometheus is unavailable', async () => {
    // A server bound and closed again leaves a loopback port with no listener.
    const closed = createServer();
    const url = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = createPrometheusClient({ url, timeoutMs: 5_000, maxBytes: 65_536 });
    await assert.rejects(client.instant('up'), (e) => isHostlensError(e, 'unavailable'));
  });
});

describe('prometheus client: a real Prometheus scraping node_exporter over the idle fixture', { skip: prometheusSkip }, () => {
  let dir = '';
  let exporter: Exporter | undefined;
  let prometheus: PrometheusServer | undefined;
  let client: PrometheusClient;

  before(async () => {
    // A copy, so nothing node_exporter or the test does can change the fixture. The collectors the
    // support enables read only files the recording has (loadavg, meminfo, stat, vmstat, pressure, net/dev).
    dir = await mkdtemp(join(tmpdir(), 'hostlens-prom-tree-'));
    await cp(join(IDLE, 'proc'), join(dir, 'proc'), { recursive: true });
    await cp(join(IDLE, 'sys'), join(dir, 'sys'), { recursive: true });
    exporter = await startNodeExporter({ procfs: join(dir, 'proc'), sysfs: join(dir, 'sys'), rootfs: dir });
    prometheus = await startPrometheus({ targets: [exporter.target], scrapeIntervalSec: 1 });
    client = createPrometheusClient({ url: prometheus.url, timeoutMs: 10_000, maxBytes: 4 * 1024 * 1024 });
    // Wait (bounded) until three scrapes have landed, so the range query below has several points.
    for (let i = 0; i < 300; i++) {
      const r = await client.instant('count_over_time(up[1m])');
      if ((r.series[0]?.value[1] ?? 0) >= 3) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('Prometheus did not scrape node_exporter three times within 30 s');
  });

  after(async () => {
    await prometheus?.stop();
    await exporter?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('up is 1, and node_load1 and MemAvailable are the fixture values', async () => {
    const up = await client.instant('up');
    assert.equal(up.truncated, false);
    assert.equal(up.series.length, 1);
    assert.equal(up.series[0]?.metric.job, 'node');
    assert.equal(up.series[0]?.metric.instance, exporter?.target);
    assert.equal(up.series[0]?.value[1], 1);

    const loadavg = await readFile(join(IDLE, 'proc/loadavg'), 'utf8');
    const load = await client.instant('node_load1');
    assert.equal(load.series[0]?.value[1], Number(loadavg.split(/\s+/)[0]));

    const meminfo = await readFile(join(IDLE, 'proc/meminfo'), 'utf8');
    const availableKiB = Number(/^MemAvailable:\s+(\d+) kB$/m.exec(meminfo)?.[1]);
    const avail = await client.instant('node_memory_MemAvailable_bytes');
    assert.equal(avail.series[0]?.value[1], availableKiB * 1024);

    // A scalar answer is one unlabelled series.
    const scalar = await client.instant('scalar(up) * 2');
    assert.deepEqual(scalar.series.map((s) => [s.metric, s.value[1]]), [[{}, 2]]);
  });

  it('a range query with a derived step stays within its point budget', async () => {
    const end = Date.now() / 1000;
    const start = end - 600;
    const budget = 7;
    const step = rangeStep(start, end, budget);
    const r = await client.range('up', { start, end, step });
    assert.equal(r.series.length, 1);
    const values = r.series[0]?.values ?? [];
    assert.ok(values.length >= 1 && values.length <= budget, `${values.length} points for a budget of ${budget}`);
    assert.ok(values.every(([t, v]) => v === 1 && t >= start && t <= end));
    assert.equal(r.truncated, false);
  });

  it('cuts series and points to their caps and says so', async () => {
    const end = Date.now() / 1000;
    const small = createPrometheusClient({ url: prometheus?.url ?? '', timeoutMs: 10_000, maxBytes: 4 * 1024 * 1024, maxSeries: 2, maxPoints: 3 });
    const many = await small.instant('node_cpu_seconds_total');
    assert.equal(many.series.length, 2);
    assert.equal(many.truncated, true);
    // vector(1) has a point at every step whatever has been scraped so far: 61 here.
    const r = await small.range('vector(1)', { start: end - 60, end, step: 1 });
    assert.equal(r.series[0]?.values.length, 3);
    assert.equal(r.truncated, true);
  });

  it('an unknown function is invalid_argument, with Prometheus reason', async () => {
    await assert.rejects(client.instant('no_such_function(up)'), (e) => isHostlensError(e, 'invalid_argument') && /unknown function/.test(e.message));
    await assert.rejects(client.range('up', { start: 10, end: 0, step: 1 }), (e) => isHostlensError(e, 'invalid_argument'));
  });

  it('refuses an answer over maxBytes', async () => {
    const tiny = createPrometheusClient({ url: prometheus?.url ?? '', timeoutMs: 10_000, maxBytes: 64 });
    await assert.rejects(tiny.instant('node_memory_MemAvailable_bytes'), (e) => isHostlensError(e, 'too_large') && /64-byte limit/.test(e.message));
  });

  it("a caller's abort is the caller's reason, not a Prometheus error", async () => {
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await assert.rejects(client.instant('up', { signal: controller.signal }), (e) => e === reason);
  });
});
