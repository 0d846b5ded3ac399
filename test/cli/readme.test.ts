/**
 * What the README says about the tools matches the catalogue: the table in
 * "What it serves" has one row per tool with its toolset mark (none for core),
 * and the toolsets paragraph under "Configuration" gives each toolset's tool
 * count, the non-core toolsets' tools by name, and the total. The quick
 * start's `--toolsets all` line states the same counts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { productCatalogue } from '../../src/catalogue/index.js';
import { TOOLSETS } from '../../src/contracts/scopes.js';
import { repoRoot } from '../e2e/helpers.js';

const README = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const toolsOf = (set: string): string[] => productCatalogue.tools.filter((t) => t.toolset === set).map((t) => t.name);

test('"What it serves": one row per tool, marked with its toolset unless core', () => {
  const rows = [...README.matchAll(/^\| `([a-z_]+)`( \*\(toolset `([a-z-]+)`\)\*)? \|/gm)].filter((m) => /^[a-z]+_[a-z_]+$/.test(m[1]!));
  const table = rows.map((m) => [m[1], m[3] ?? 'core']);
  assert.deepEqual(
    table.map(([name]) => name).sort(),
    productCatalogue.tools.map((t) => t.name).sort(),
  );
  for (const [name, set] of table) assert.equal(set, productCatalogue.tools.find((t) => t.name === name)?.toolset, `${name}'s toolset mark`);
});

test('the toolsets paragraph: the total, each toolset\'s count, and the tools of every toolset but core', () => {
  const paragraph = README.slice(README.indexOf('Toolsets keep the tool list small'));
  const total = /(\d+) tools in all/.exec(paragraph);
  assert.equal(Number(total?.[1]), productCatalogue.tools.length, 'total');
  for (const set of TOOLSETS) {
    const entry = new RegExp(`\`${set}\` \\((\\d+)(?: tools?)?[:,]([^)]*)\\)`).exec(paragraph);
    assert.ok(entry, `toolset ${set} is in the paragraph`);
    assert.equal(Number(entry[1]), toolsOf(set).length, `${set}: count`);
    if (set === 'core') continue;
    const named = [...entry[2]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    assert.deepEqual(named, toolsOf(set), `${set}: tools named`);
  }
});

test('the quick start\'s counts for --toolsets all and core', () => {
  const line = /every toolset \((\d+) tools\) instead of core \((\d+)\)/.exec(README);
  assert.ok(line, 'the quick start states both counts');
  assert.deepEqual([Number(line[1]), Number(line[2])], [productCatalogue.tools.length, toolsOf('core').length]);
});
