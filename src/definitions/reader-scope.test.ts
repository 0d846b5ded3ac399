import assert from 'node:assert/strict';
import { test } from 'node:test';
import { productCatalogue } from '../catalogue/index.js';
import type { ScopedPart } from '../contracts/reader.js';
import { filterParts, readerWith, registerReadings, toolNamed } from './reader-scope.js';

registerReadings(productCatalogue.tools);
const reader = readerWith(['hostlens:read']);

test('filterParts: list elements, fields, object members, removal and custom placeholders; the input is never changed', () => {
  const data = { rows: [{ kind: 'a', detail: 'x' }, { kind: 'config', detail: 'y' }], counts: { a: 1, config: 1 }, top: [{ pid: 1 }], byName: { p: { cmd: 'c' } } };
  const frozen = JSON.stringify(data);
  const parts: ScopedPart[] = [
    { path: 'rows[]', from: 'get_config', when: (r) => (r as { kind: string }).kind === 'config' },
    { path: 'counts.config', from: 'get_config', as: 'remove' },
    { path: 'top', from: 'top_processes' },
    { path: 'byName.*.cmd', from: 'get_process' },
    { path: 'rows[].detail', from: 'list_sockets', when: (_d, r) => (r as { kind: string }).kind === 'a', as: (_v, scope) => `hidden ${scope}` },
  ];
  const f = filterParts(data, parts, reader);
  assert.deepEqual(f.value, {
    rows: [{ kind: 'a', detail: 'hidden hostlens:processes' }],
    counts: { a: 1 },
    top: { withheld: true, requiredScope: 'hostlens:processes' },
    byName: { p: { cmd: '[withheld: needs hostlens:processes]' } },
  });
  assert.equal(JSON.stringify(data), frozen);
  assert.deepEqual([...new Set(f.withheld.map((w) => w.requiredScope))].sort(), ['hostlens:config', 'hostlens:processes']);
  const everything = filterParts(data, parts, readerWith(['hostlens:read', 'hostlens:processes', 'hostlens:config']));
  assert.deepEqual(everything.value, data);
  assert.deepEqual(everything.withheld, []);
});

test('an unknown source tool fails closed: only an admin reader sees it', () => {
  const parts: ScopedPart[] = [{ path: 'x', from: 'no_such_tool' }];
  assert.deepEqual(filterParts({ x: 1 }, parts, reader).value, { x: { withheld: true, requiredScope: 'hostlens:admin' } });
  assert.deepEqual(filterParts({ x: 1 }, parts, readerWith(['hostlens:admin'])).value, { x: 1 });
});

test('every declared source names a catalogue tool, and every completion declares what it reveals', () => {
  const names = new Set(productCatalogue.tools.map((t) => t.name));
  const staticFrom = (parts: readonly ScopedPart[] | undefined) => (parts ?? []).flatMap((p) => (typeof p.from === 'string' ? [p.from] : []));
  for (const t of productCatalogue.tools) for (const from of staticFrom(t.scopedParts)) assert.ok(names.has(from), `${t.name}: ${from}`);
  for (const r of [...productCatalogue.resources, ...(productCatalogue.templates ?? [])]) for (const from of staticFrom(r.scopedParts)) assert.ok(names.has(from), `${r.name}: ${from}`);
  const completions: Array<[string, Record<string, unknown>, Record<string, string | null | undefined> | undefined]> = [
    ...productCatalogue.prompts.map((p) => [p.name, p.complete ?? {}, p.completeFrom as Record<string, string | null | undefined> | undefined] as [string, Record<string, unknown>, Record<string, string | null | undefined> | undefined]),
    ...(productCatalogue.templates ?? []).map((t) => [t.name, t.complete ?? {}, t.completeFrom] as [string, Record<string, unknown>, Record<string, string | null | undefined> | undefined]),
  ];
  for (const [name, complete, from] of completions) {
    for (const arg of Object.keys(complete)) {
      const source = from?.[arg];
      assert.ok(source !== undefined, `${name}.${arg} completes without declaring its source (completeFrom)`);
      if (source !== null) assert.ok(toolNamed(source), `${name}.${arg}: ${source} is not a catalogue tool`);
    }
  }
});
