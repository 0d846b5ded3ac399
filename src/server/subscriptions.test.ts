import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Status } from '../contracts/assessment.js';
import { productCatalogue } from '../catalogue/index.js';
import { FIXTURE_HOSTS, servicesAt } from '../../test/fixtures/fixture-services.js';
import { createWatcher, resourceExists, startOverviewWatch, statusChanges, statusMap } from './subscriptions.js';
import type { Evaluation, StatusChange } from './subscriptions.js';

const a = (code: string, status: Status, evidence?: string[]) => ({ code, status, ...(evidence ? { evidence } : {}) });

describe('statusMap / statusChanges', () => {
  test('one key per code; repeated codes are told apart by evidence, then by order', () => {
    const m = statusMap([
      a('memory.available_low', 'ok'),
      a('filesystem.space', 'warning', ['/dev/sda1 (ext4)']),
      a('filesystem.space', 'ok', ['/dev/sdb1 (xfs)']),
      a('filesystem.space', 'critical', ['/dev/sdb1 (xfs)']),
    ]);
    assert.deepEqual([...m.entries()], [
      ['memory.available_low', 'ok'],
      ['filesystem.space[/dev/sda1 (ext4)]', 'warning'],
      ['filesystem.space[/dev/sdb1 (xfs)]', 'ok'],
      ['filesystem.space[/dev/sdb1 (xfs)]#2', 'critical'],
    ]);
  });

  test('same statuses (values may differ) → no change; a status flip, an added and a removed key → changes', () => {
    const before = statusMap([a('cpu.busy', 'ok'), a('memory.available_low', 'ok'), a('pressure.io', 'unknown')]);
    assert.deepEqual(statusChanges(before, statusMap([a('pressure.io', 'unknown'), a('cpu.busy', 'ok'), a('memory.available_low', 'ok')])), []);
    const after = statusMap([a('cpu.busy', 'ok'), a('memory.available_low', 'critical'), a('load.per_cpu', 'ok')]);
    assert.deepEqual(statusChanges(before, after), [
      { key: 'load.per_cpu', from: null, to: 'ok' },
      { key: 'memory.available_low', from: 'ok', to: 'critical' },
      { key: 'pressure.io', from: 'unknown', to: null },
    ]);
  });
});

describe('createWatcher with injected evaluations', () => {
  const scripted = (evaluations: Evaluation[]) => {
    let i = 0;
    const seen: StatusChange[][] = [];
    const baselines: Evaluation[] = [];
    const watcher = createWatcher({
      periodMs: 60_000,
      evaluate: async () => {
        const e = evaluations[Math.min(i, evaluations.length - 1)];
        i += 1;
        if (!e) throw new Error('no evaluation scripted');
        return e;
      },
      onChange: (changes) => seen.push(changes),
      onBaseline: (e) => baselines.push(e),
    });
    return { watcher, seen, baselines };
  };

  test('the first evaluation is a baseline; only evaluations whose statuses differ from the previous one are reported', async () => {
    const ok = { assessments: [a('memory.available_low', 'ok'), a('cpu.busy', 'ok')] };
    const crit = { assessments: [a('memory.available_low', 'critical'), a('cpu.busy', 'ok')] };
    const { watcher, seen, baselines } = scripted([ok, ok, crit, crit, crit, ok]);
    assert.equal(await watcher.check(), null);
    assert.equal(baselines.length, 1);
    assert.deepEqual(await watcher.check(), []);
    assert.deepEqual(await watcher.check(), [{ key: 'memory.available_low', from: 'ok', to: 'critical' }]);
    assert.deepEqual(await watcher.check(), []);
    assert.deepEqual(await watcher.check(), []);
    assert.deepEqual(await watcher.check(), [{ key: 'memory.available_low', from: 'critical', to: 'ok' }]);
    assert.equal(seen.length, 2, 'one report per status change, none for unchanged samples');
    assert.equal(watcher.evaluations, 6);
  });

  test('an assessment appearing or disappearing is a change', async () => {
    const { watcher, seen } = scripted([
      { assessments: [a('cpu.busy', 'ok')] },
      { assessments: [a('cpu.busy', 'ok'), a('memory.oom_kill', 'critical')] },
      { assessments: [a('cpu.busy', 'ok')] },
    ]);
    await watcher.check();
    await watcher.check();
    await watcher.check();
    assert.deepEqual(seen, [[{ key: 'memory.oom_kill', from: null, to: 'critical' }], [{ key: 'memory.oom_kill', from: 'critical', to: null }]]);
  });

  test('a failing evaluation is reported and changes nothing; overlapping checks are skipped', async () => {
    const errors: string[] = [];
    let release: () => void = () => undefined;
    let n = 0;
    const watcher = createWatcher({
      periodMs: 60_000,
      evaluate: async () => {
        n += 1;
        if (n === 2) throw new Error('proc unreadable');
        if (n === 3) await new Promise<void>((r) => (release = r));
        return { assessments: [a('cpu.busy', 'ok')] };
      },
      onChange: () => assert.fail('no status changed'),
      onError: (e) => errors.push(e.message),
    });
    await watcher.check();
    assert.equal(await watcher.check(), null);
    assert.deepEqual(errors, ['proc unreadable']);
    const slow = watcher.check();
    assert.equal(await watcher.check(), null, 'a check while one runs is skipped');
    release();
    assert.deepEqual(await slow, []);
  });

  // The timeout is a hang guard: three 20 ms periods take well under a second even on a loaded machine.
  test('start() evaluates at once and then every period; stop() ends it', { timeout: 60_000 }, async () => {
    let n = 0;
    const watcher = createWatcher({
      periodMs: 20,
      evaluate: async () => {
        n += 1;
        return { assessments: [] };
      },
      onChange: () => undefined,
    });
    watcher.start();
    assert.equal(watcher.running, true);
    // Waits for the evaluations themselves, not a fixed time: a loaded machine may run the timers late.
    while (n < 3) await new Promise((r) => setTimeout(r, 10));
    watcher.stop();
    const atStop = n;
    assert.ok(atStop >= 3, `expected several periodic evaluations, got ${atStop}`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(n, atStop, 'no evaluation after stop()');
    assert.equal(watcher.running, false);
  });
});

describe('startOverviewWatch over a copied fixture tree', () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-watch-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  cpSync(join(FIXTURE_HOSTS, 'idle'), root, { recursive: true, verbatimSymlinks: true });

  test('memory going critical stores the new triage as the overview and publishes diag://local/overview once', async () => {
    const services = servicesAt(root);
    services.sampler.tick();
    services.sampler.tick();
    const published: string[] = [];
    const watch = startOverviewWatch({ services, servedTools: new Map(), periodMs: 60_000, resourceUpdated: (uri) => published.push(uri) });
    try {
      watch.stop(); // drive it by hand: start() already queued the baseline
      await watch.check();
      const memStatus = (): unknown =>
        (services.state.lastTriage?.result as { data: { areas: { memory: { status: string } } } }).data.areas.memory.status;
      assert.equal(memStatus(), 'ok', 'the baseline is stored when no triage ran yet');
      assert.deepEqual(await watch.check(), []);
      const meminfo = join(root, 'proc/meminfo');
      writeFileSync(meminfo, readFileSync(meminfo, 'utf8').replace(/^MemAvailable:.*$/m, 'MemAvailable:      81304 kB'));
      const changes = await watch.check();
      assert.ok(changes?.some((c) => c.key === 'memory.available_low' && c.from === 'ok' && c.to === 'critical'), JSON.stringify(changes));
      assert.equal(memStatus(), 'critical');
      assert.deepEqual(published, ['diag://local/overview']);
      assert.deepEqual(await watch.check(), [], 'still critical: nothing more');
      assert.equal(published.length, 1);
    } finally {
      watch.stop();
    }
  });

  test('resourceExists knows the catalogue resources and nothing else', () => {
    const services = servicesAt(root);
    assert.equal(resourceExists(productCatalogue, services, 'diag://local/overview'), true);
    assert.equal(resourceExists(productCatalogue, services, 'diag://thresholds'), true);
    assert.equal(resourceExists(productCatalogue, services, 'diag://local/nope'), false);
  });
});
