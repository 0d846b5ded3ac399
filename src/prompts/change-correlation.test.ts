import assert from 'node:assert/strict';
import { test } from 'node:test';
import { productCatalogue } from '../catalogue/index.js';
import type { Services } from '../definitions/host-services.js';
import { changeCorrelationPrompt } from './change-correlation.js';

const services = {} as Services;

test('change_correlation: names recent_changes with the given since, the history tools (if enabled) and snapshots', () => {
  const [m] = changeCorrelationPrompt.build(changeCorrelationPrompt.args.parse({ since: '-2h', symptom: 'p99 latency\ndoubled' }), services);
  assert.equal(m!.role, 'user');
  assert.match(m!.text, /recent_changes with since "-2h"/);
  assert.match(m!.text, /If enabled \(history toolset\): detect_anomalies/);
  assert.match(m!.text, /get_history/);
  assert.match(m!.text, /capture_snapshot/);
  assert.match(m!.text, /diff_snapshots/);
  assert.match(m!.text, /"p99 latency doubled"/, 'symptom on one line');
  assert.match(m!.text, /confidence/);
  const [d] = changeCorrelationPrompt.build(changeCorrelationPrompt.args.parse({}), services);
  assert.match(d!.text, /since "-1d"/);
});

test('change_correlation: since must be relative or RFC 3339; completion offers relative ranges', () => {
  assert.equal(changeCorrelationPrompt.args.safeParse({ since: '2026-11-24T10:00:00Z' }).success, true);
  for (const bad of ['yesterday', '-2w', '2026-11-24', '-1d; rm -rf /']) assert.equal(changeCorrelationPrompt.args.safeParse({ since: bad }).success, false, bad);
  assert.deepEqual(changeCorrelationPrompt.complete!.since!('-1', services), ['-1h', '-1d']);
});

test('catalogue: recent_changes is a core tool and change_correlation a prompt; every tool the prompt names exists', () => {
  const tools = new Map(productCatalogue.tools.map((t) => [t.name, t]));
  assert.equal(tools.get('recent_changes')?.toolset, 'core');
  assert.ok(productCatalogue.prompts.some((p) => p.name === 'change_correlation'));
  const [m] = changeCorrelationPrompt.build(changeCorrelationPrompt.args.parse({}), services);
  for (const name of ['recent_changes', 'capture_snapshot', 'diff_snapshots', 'detect_anomalies', 'get_history', 'triage_host', 'list_sockets', 'list_services']) {
    assert.ok(m!.text.includes(name), name);
    assert.ok(tools.has(name), `${name} is in the catalogue`);
  }
});

test('change_correlation: every tool it names is in the catalogue, and a non-core one sits on a line marked "if enabled"', () => {
  const toolsets = new Map(productCatalogue.tools.map((t) => [t.name, t.toolset as string]));
  const [m] = changeCorrelationPrompt.build(changeCorrelationPrompt.args.parse({ since: '-7d' }), services);
  let named = 0;
  for (const line of m!.text.split('\n')) {
    for (const word of line.match(/\b(?:get|list|top|find|triage|capture|diff|search|read|detect|recent)_[a-z_]+\b/g) ?? []) {
      const toolset = toolsets.get(word);
      assert.ok(toolset, `"${word}" is not a tool of the catalogue`);
      named += 1;
      if (toolset !== 'core') assert.match(line, /if enabled/i, `${word} (toolset ${toolset}) must be marked "if enabled": ${line}`);
    }
  }
  assert.ok(named >= 6);
});
