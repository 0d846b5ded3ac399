/**
 * diag://snapshots/{id} and diag://runbooks/{topic} through their template
 * definitions: list, complete, read, and HostlensError for unknown members.
 * The runbooks are checked for what an agent relies on: short, markdown, naming
 * only tools of the catalogue, non-core ones marked as such.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { productCatalogue } from '../catalogue/index.js';
import { HostlensError } from '../contracts/errors.js';
import { RUNBOOK_TOPICS } from '../runbooks/index.js';
import { createSnapshotStore } from '../snapshots/store.js';
import { fixtureServices } from '../../test/fixtures/fixture-services.js';
import { runbooksTemplate } from './runbooks.js';
import { snapshotsTemplate } from './snapshots.js';

const TOOL_WORD = /\b(?:get|list|top|find|triage|capture|diff|search|read|detect|recent|fleet|compare|query|probe)_[a-z_]+\b/g;

function services() {
  const s = fixtureServices('idle');
  return { ...s, snapshots: createSnapshotStore() };
}

function plant(s: ReturnType<typeof services>, label: string) {
  return s.snapshots.add({ label, host: 'local', capturedAt: new Date().toISOString(), windowSec: 1, overall: 'ok', sections: {}, findings: [], warnings: [] }).meta;
}

describe('diag://snapshots/{id}', () => {
  test('list shows the stored snapshots newest first, read returns the stored JSON, complete offers id prefixes', async () => {
    const s = services();
    assert.deepEqual(snapshotsTemplate.list?.(s), []);
    const one = plant(s, 'one');
    const two = plant(s, 'two');
    const listed = snapshotsTemplate.list?.(s) ?? [];
    assert.deepEqual(listed.map((r) => [r.uri, r.name, r.title]), [
      [`diag://snapshots/${two.id}`, two.id, 'two'],
      [`diag://snapshots/${one.id}`, one.id, 'one'],
    ]);
    assert.match(listed[0]?.description ?? '', /overall ok/);
    const text = await snapshotsTemplate.read(new URL(`diag://snapshots/${one.id}`), { id: one.id }, s);
    assert.equal(text, s.snapshots.json(one.id));
    assert.equal((JSON.parse(text) as { label: string }).label, 'one');
    const complete = snapshotsTemplate.complete?.id;
    assert.ok(complete);
    assert.deepEqual(complete('', s).sort(), [one.id, two.id].sort());
    assert.deepEqual(complete(one.id.slice(0, 9), s).includes(one.id), true);
    assert.deepEqual(complete('nope', s), []);
    assert.equal(snapshotsTemplate.mimeType, 'application/json');
    assert.equal(snapshotsTemplate.uriTemplate, 'diag://snapshots/{id}');
  });

  test('an unknown id throws HostlensError naming what is stored', () => {
    const s = services();
    assert.throws(() => snapshotsTemplate.read(new URL('diag://snapshots/snap_nope'), { id: 'snap_nope' }, s), (e: unknown) => e instanceof HostlensError && /no snapshots are stored/.test((e as Error).message));
    const kept = plant(s, 'kept');
    assert.throws(() => snapshotsTemplate.read(new URL('diag://snapshots/x'), { id: 'x' }, s), (e: unknown) => e instanceof HostlensError && (e as Error).message.includes(kept.id));
  });
});

describe('diag://runbooks/{topic}', () => {
  test('the eight topics are listed, completed by prefix and read as markdown', async () => {
    const s = services();
    assert.deepEqual(RUNBOOK_TOPICS, ['high-cpu', 'memory-pressure', 'oom', 'disk-full', 'io-latency', 'network-drops', 'service-crashloop', 'container-throttling']);
    assert.deepEqual(runbooksTemplate.list?.(s).map((r) => r.uri), RUNBOOK_TOPICS.map((t) => `diag://runbooks/${t}`));
    assert.equal(runbooksTemplate.mimeType, 'text/markdown');
    const complete = runbooksTemplate.complete?.topic;
    assert.ok(complete);
    assert.deepEqual(complete('m', s), ['memory-pressure']);
    assert.deepEqual(complete('', s), RUNBOOK_TOPICS);
    assert.deepEqual(complete('zz', s), []);
    const md = await runbooksTemplate.read(new URL('diag://runbooks/oom'), { topic: 'oom' }, s);
    assert.match(md, /^# Runbook: OOM kills\n/);
    assert.throws(() => runbooksTemplate.read(new URL('diag://runbooks/nope'), { topic: 'nope' }, s), (e: unknown) => e instanceof HostlensError && /topics: high-cpu, /.test((e as Error).message));
  });

  for (const topic of RUNBOOK_TOPICS) {
    test(`${topic}: ≤ 60 lines, names only catalogue tools (non-core ones marked "if enabled"), thresholds with units, safe remediation`, async () => {
      const md = await runbooksTemplate.read(new URL(`diag://runbooks/${topic}`), { topic }, services());
      const lines = md.split('\n');
      assert.ok(lines.length <= 60, `${lines.length} lines`);
      assert.match(md, /^# Runbook: /);
      assert.match(md, /## Check \(hostlens\)/);
      assert.match(md, /## Safe remediation \(for a human\)/);
      assert.match(md, /\d+ ?(?:%|ms|\/s)/, 'at least one threshold with a unit');
      const built = new Map(productCatalogue.tools.map((t) => [t.name, t.toolset as string]));
      let named = 0;
      for (const line of lines) {
        for (const word of line.match(TOOL_WORD) ?? []) {
          const toolset = built.get(word);
          assert.ok(toolset, `${topic}: "${word}" is not a tool of the catalogue`);
          named += 1;
          if (toolset !== 'core') assert.match(line, /if enabled|if available|when available/i, `${topic}: ${word} (toolset ${toolset}) must be marked "if enabled": ${line}`);
        }
      }
      assert.ok(named >= 3, `${topic} names at least three tools`);
    });
  }
});
