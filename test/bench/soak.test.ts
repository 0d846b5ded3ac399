/**
 * The soak driver (bench/soak) works and finds its checks: a 5 s soak with 5 clients against the
 * real `hostlens serve` (src/cli.ts through tsx, session TTL 2 s) passes every hard check with
 * real traffic in both eras, deliberately bad calls answered with the right errors, sessions
 * left open at stop and gone after the TTL, and a SIGTERM that drains in-flight calls; and the
 * hard checks fail on the faults they exist for.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { soakOptions } from '../../bench/soak/options.js';
import { flatness, hardChecks, writeSoakReport } from '../../bench/soak/report.js';
import type { Sample, SoakReport } from '../../bench/soak/report.js';
import { runSoak } from '../../bench/soak/run.js';
import { repoRoot } from '../e2e/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hostlens-soak-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('soak driver', { timeout: 40_000 }, () => {
  let report: SoakReport | undefined;

  test('a 5 s soak with 5 clients passes every hard check and counts what it did', async () => {
    const options = soakOptions({
      clients: 5,
      durationSec: 5,
      sessionTtlSec: 2,
      reportEverySec: 2,
      thinkMs: { min: 30, max: 200 },
      windowSec: 0.5,
      drainWindowSec: 1.5,
      drainCalls: 4,
      server: 'tsx',
      out: join(dir, 'soak.json'),
      seed: 7,
    });
    const started = Date.now();
    report = await runSoak(options, repoRoot, () => undefined);
    const r = report;
    const failed = r.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.detail}`);
    assert.deepEqual(failed, [], `hard checks failed; unexpected: ${JSON.stringify(r.unexpected.slice(0, 3))}`);
    assert.equal(r.pass, true);
    assert.ok(Date.now() - started < 25_000, `the soak took ${Date.now() - started} ms`);
    // Real traffic in both eras: legacy sessions opened, stateless discovery, tools called.
    assert.ok(r.totals.ok >= 20, `only ${r.totals.ok} ok operations`);
    assert.ok((r.okByOp.initialize ?? 0) >= 3 && (r.okByOp['server/discover'] ?? 0) >= 2, JSON.stringify(r.okByOp));
    assert.ok(r.totals.expected >= 1, 'deliberately bad calls were made and answered with the right error');
    assert.equal(r.totals.unexpected, 0);
    assert.ok(r.samples.length >= 2, `${r.samples.length} report samples`);
    assert.ok(r.samples.every((s) => typeof s.rssKiB === 'number' && s.rssKiB > 10_000 && typeof s.fds === 'number' && s.fds > 5), JSON.stringify(r.samples));
    // Every legacy client (0, 2, 4) abandons its session at stop: open then, gone after the TTL.
    assert.ok(r.sessions.probed >= 3 && r.sessions.abandonedAliveAtStop >= 1, JSON.stringify(r.sessions));
    assert.equal(r.sessions.left, 0);
    const d = r.drain;
    assert.ok(d);
    assert.equal(d.inFlightAtSigterm, 4);
    assert.equal(d.completed, 4, d.errors.join('; '));
    assert.equal(d.exit.code, 0);
    assert.ok(d.finishedAfterSigtermMs.every((ms) => ms > 0), `calls finished after the signal: ${d.finishedAfterSigtermMs.join(', ')}`);
    // The figures round-trip through the JSON file.
    writeSoakReport(options.out, r);
    assert.equal((JSON.parse(readFileSync(options.out, 'utf8')) as SoakReport).totals.ok, r.totals.ok);
  });

  test('the hard checks fail on an unexpected error, a session left, a failed drain and a dead server', () => {
    assert.ok(report, 'needs the soak above');
    const base = report;
    const failing = (mutate: (r: SoakReport) => void): string[] => {
      const copy = structuredClone(base);
      mutate(copy);
      return hardChecks(copy).filter((c) => !c.pass).map((c) => c.name);
    };
    assert.deepEqual(failing(() => undefined), []);
    assert.deepEqual(failing((r) => void (r.totals.unexpected = 1)), ['unexpected errors']);
    assert.deepEqual(failing((r) => void (r.sessions.left = 1)), ['sessions left after the TTL']);
    assert.deepEqual(failing((r) => void (r.sessions.abandonedAliveAtStop = 0)), ['sessions left after the TTL'], 'vacuous: nothing was left open');
    assert.deepEqual(failing((r) => void (r.drain && (r.drain.pass = false))), ['SIGTERM drains in-flight calls and exits 0']);
    assert.deepEqual(failing((r) => void (r.serverDiedDuringLoad = 'exited 1 during the load')), ['server alive until SIGTERM']);
    assert.deepEqual(failing((r) => void r.serverErrorLines.push({ status: 500 })), ['server 5xx / error log lines during the load']);
  });

  test('flatness: spread over the samples after warm-up, within 10 %', () => {
    const at = (tSec: number, rssKiB: number, fds: number): Sample => ({
      tSec, ok: 0, expected: 0, dropped: 0, unexpected: 0, p50Ms: 0, p99Ms: 0, rssKiB, fds,
      sessionsOpen: null, sseStreamsOpen: null, sessionsOpened: 0, sessionsDeleted: 0, sessionsAbandoned: 0,
    });
    const samples = [at(10, 50_000, 10), at(20, 100_000, 100), at(30, 104_000, 100), at(40, 101_000, 120)];
    const rss = flatness(samples, 'rssKiB', 15);
    assert.deepEqual([rss.samples, rss.first, rss.last, rss.min, rss.max, rss.spreadPct, rss.pass], [3, 100_000, 101_000, 100_000, 104_000, 4, true]);
    const fds = flatness(samples, 'fds', 15);
    assert.deepEqual([fds.min, fds.max, fds.spreadPct, fds.pass], [100, 120, 20, false]);
    assert.equal(flatness(samples, 'rssKiB', 45).pass, null, 'too few samples after warm-up: no verdict');
  });
});
