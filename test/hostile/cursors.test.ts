/**
 * Hostile paging cursors against every list tool (every tool whose inputSchema
 * takes `cursor`), in process through the real server: fast-check garbage
 * (random strings, base64url of arbitrary JSON) and forged cursors that carry
 * the right query digest but an offset of -1, 1.5, "1", null, the list end,
 * past it, 2^53, 2^60 and 1e308, or a __proto__ member. Each answer is a
 * result that matches the outputSchema within the budget (an empty or last
 * page) or a tool error that names the cursor; never -32603, never an
 * unexpected exception; the cursor sequence of the untouched query still walks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { productCatalogue } from '../../src/catalogue/index.js';
import { exampleArgs } from '../support/tool-examples.js';
import { assertNotPolluted, classify, delay, startInProcess } from './harness.js';
import type { InProcess } from './harness.js';

const RUNS = Number(process.env.HOSTILE_CURSOR_RUNS ?? 12);
const b64 = (v: string): string => Buffer.from(v).toString('base64url');

describe('hostile cursors, every list tool', { timeout: 120_000 }, () => {
  let p: InProcess;
  before(async () => {
    p = await startInProcess();
    await delay(1_100);
    // diff_snapshots pages the differences between two stored snapshots
    for (let i = 0; i < 2; i++) assert.equal(classify('capture_snapshot', await p.call('capture_snapshot', {}), 'capture_snapshot').kind, 'ok');
  });
  after(async () => {
    await p?.close();
  });

  const listTools = (): string[] => productCatalogue.tools.filter((t) => 'cursor' in (p.tools.get(t.name)?.inputSchema.properties ?? {})).map((t) => t.name);

  function baseArgs(name: string): Record<string, unknown> {
    if (name === 'find_space_hogs') return { path: p.scanDir, depth: 1 };
    if (name === 'get_sysctl') return { prefix: 'kernel.' };
    return exampleArgs(productCatalogue.tools.find((t) => t.name === name)!, { serverPid: process.pid });
  }

  async function check(name: string, args: Record<string, unknown>, what: string): Promise<void> {
    const outcome = classify(name, await p.call(name, args), what);
    if (outcome.kind === 'ok') p.checkOk(name, outcome.result, what);
    else if (outcome.kind === 'tool-error') assert.match(outcome.text, /cursor/i, `${what}: a refusal that does not name the cursor: ${outcome.text}`);
    else assert.equal(outcome.kind, 'invalid-input', `${what}: ${JSON.stringify(outcome).slice(0, 300)}`);
    if (outcome.kind === 'invalid-input') assert.ok(String(args.cursor).length > 512, `${what}: a cursor of ≤ 512 chars is not an input error`);
  }

  test('there are list tools to test', () => {
    assert.ok(listTools().length >= 10, listTools().join(', '));
  });

  test('forged cursors with the right query digest and hostile offsets: an empty/last page or a cursor error', async () => {
    for (const name of listTools()) {
      const args = baseArgs(name);
      // A genuine cursor for this query (limit 1 makes most lists page); its digest is reused below.
      const limitKey = 'limit' in (p.tools.get(name)!.inputSchema.properties ?? {}) ? { limit: 1 } : name === 'get_pressure' ? { topCgroups: 1 } : {};
      const first = classify(name, await p.call(name, { ...args, ...limitKey }), `${name} first page`);
      if (first.kind !== 'ok') continue; // e.g. no engine, no journal: nothing to page here
      const next = (first.result.structuredContent as { truncated?: { nextCursor?: string } }).truncated?.nextCursor;
      const q = next ? (JSON.parse(Buffer.from(next, 'base64url').toString('utf8')) as { q: string }).q : 'x';
      const offsets: unknown[] = [-1, 1.5, '1', null, true, 2 ** 53, 2 ** 60, 1e308, 10_000_000];
      for (const o of offsets) await check(name, { ...args, ...limitKey, cursor: b64(JSON.stringify({ o, q })) }, `${name} forged o=${String(o)}`);
      await check(name, { ...args, ...limitKey, cursor: b64(`{"o":0,"q":${JSON.stringify(q)},"__proto__":{"o":5}}`) }, `${name} forged __proto__`);
      await check(name, { ...args, ...limitKey, cursor: b64(`{"__proto__":{"o":1,"q":${JSON.stringify(q)}}}`) }, `${name} cursor fields only on __proto__`);
      if (next) await check(name, { ...args, ...limitKey, cursor: next }, `${name} the genuine cursor`);
    }
    assertNotPolluted();
  });

  test(`fast-check garbage cursors (${RUNS} per tool): random strings and base64url of arbitrary JSON`, async () => {
    const cursorArb = fc.oneof(
      fc.string({ maxLength: 600 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => b64(JSON.stringify(v))),
      fc.record({ o: fc.oneof(fc.integer(), fc.double(), fc.string()), q: fc.string({ maxLength: 20 }) }).map((v) => b64(JSON.stringify(v))),
      fc.string({ maxLength: 40 }).map((s) => `${s}\u0000\uD800`),
    );
    for (const name of listTools()) {
      await fc.assert(
        fc.asyncProperty(cursorArb, async (cursor) => check(name, { ...baseArgs(name), cursor }, `${name} cursor ${JSON.stringify(cursor).slice(0, 80)}`)),
        { numRuns: RUNS, verbose: 1 },
      );
    }
    assertNotPolluted();
  });
});
