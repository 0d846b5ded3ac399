/**
 * The soak driver (bench/soak) works and finds its checks: a 5 s soak with 5 clients against the
 * real `hostlens serve` (src/app/cli.ts through tsx, session TTL 3 s) passes every hard check with
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
import type { SoakReport } from '../../bench/soak/report.js';
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
      sessionTtlSec: 3,
      reportEverySec: 2,
      thinkMs: { min: 30, max: 200 },
      windowSec: 0.5,
      drainWindowSec: 1.5,
      drainCalls: 4,
      server: 'tsx',
      out: join(dir, 'soak.json'),
      seed: 7,
      prefillSnapshots: 1,
    });
    report = await runSoak(options, repoRoot, () => undefined);
    const r = report;
    const failed = r.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.detail}`);
    assert.deepEqual(failed, [], `hard checks failed; unexpected: ${JSON.stringify(r.unexpected.slice(0, 3))}`);
    assert.equal(r.pass, true);
    // Real traffic in both eras: legacy sessions opened, stateless discovery, tools called.
    assert.ok(r.totals.ok >= 20, `only ${r.totals.ok} ok operations`);
    assert.ok((r.okByOp.initialize ?? 0) >= 3 && (r.okByOp['server/discover'] ?? 0) >= 2, JSON.stringify(r.okByOp));
    assert.ok(r.totals.expected >= 1, 'deliberately bad calls were made and answered with the right error');
    assert.equal(r.totals.unexpected, 0);
    assert.ok(r.samples.length >= 2, `${r.samples.length} report samples`);
    assert.ok(r.samples.every((s) => typeof s.rssKiB === 'number' && s.rssKiB > 10_000 && typeof s.fds === 'number' && s.fds > 5), JSON.stringify(r.samples));
    assert.ok(r.procSamples.length >= 2, `${r.procSamples.length} RSS/fd samples`);
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

  test('flatness: drift between the first and last third of the samples after warm-up, within 10 %', () => {
    const rss = [100_000, 104_000, 98_000, 102_000, 103_000, 101_000];
    const fds = [100, 100, 110, 120, 125, 130];
    const samples = [{ tSec: 10, rssKiB: 50_000, fds: 10 }, ...rss.map((v, i) => ({ tSec: 20 + i * 2, rssKiB: v, fds: fds[i] ?? null }))];
    const r = flatness(samples, 'rssKiB', 15);
    assert.deepEqual(
      [r.samples, r.first, r.last, r.min, r.max, r.firstThirdMean, r.lastThirdMean, r.driftPct, r.spreadPct, r.pass],
      [6, 100_000, 101_000, 98_000, 104_000, 102_000, 102_000, 0, 6.1, true],
      'a swing of 6 % without drift is flat (the warm-up sample at 10 s is not counted)',
    );
    const f = flatness(samples, 'fds', 15);
    assert.deepEqual([f.firstThirdMean, f.lastThirdMean, f.driftPct, f.pass], [100, 128, 28, false], 'steady growth is not flat');
    assert.equal(flatness(samples, 'rssKiB', 27).pass, null, 'fewer than 3 samples after warm-up: no verdict');
  });
});
