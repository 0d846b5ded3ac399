/**
 * Every tool of the product catalogue (all toolsets), in process through the
 * real server (McpServer from the product build, SDK client over
 * InMemoryTransport), against its input bounds:
 * - deterministic edge cases from the published inputSchema (min-1, max+1,
 *   wrong types, 100 KB and lone-surrogate strings, NaN-like numbers, extra
 *   keys, __proto__/constructor/prototype keys, missing required keys) are
 *   refused as invalid input (isError "Input validation error"), never -32603,
 *   never an unexpected exception;
 * - fast-check mixes valid arguments, valid ones with one field broken and
 *   arbitrary JSON: the server refuses exactly what the tool's schema refuses
 *   (and the published JSON Schema agrees), valid calls answer with
 *   structuredContent matching the outputSchema within the result budget or a
 *   clear tool error; nothing leaks a stack or a source path;
 * - non-object `arguments` are -32602;
 * - Object.prototype is untouched afterwards, and the server still answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { productCatalogue } from '../../src/catalogue/index.js';
import { publishedInput } from '../../src/server/host-argument.js';
import { assertNotPolluted, classify, delay, startInProcess, validatorFor } from './harness.js';
import type { InProcess, Outcome } from './harness.js';
import { boundaryCases, hostileArgs } from './schema-arb.js';
import type { Json, JsonSchema } from './schema-arb.js';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 25);

/** Clients send JSON: NaN becomes null, own __proto__ keys survive (JSON.parse makes them own properties). */
const wire = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/**
 * The SDK parses tools/call `arguments` as a zod record, which drops an own top-level `__proto__` key
 * (neither kept nor turned into a prototype) before the tool's strict schema sees it. So the tool
 * judges the arguments without it; a dedicated test below shows the dropped payload has no effect.
 */
function asTheToolSeesIt(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, '__proto__')) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== '__proto__'));
}

describe('hostile tool inputs, every tool, in process', { timeout: 240_000 }, () => {
  let p: InProcess;
  const counts = { calls: 0, ok: 0, invalid: 0, toolError: 0, rpcError: 0 };

  before(async () => {
    p = await startInProcess();
    await delay(1_100); // two sampler ticks: rates come from the background sampler
  });
  after(async () => {
    await p?.close();
    // eslint-disable-next-line no-console
    console.log(`hostile tool inputs: ${JSON.stringify(counts)}`);
  });

  async function run(name: string, args: unknown, what: string): Promise<{ outcome: Outcome; zodValid: boolean }> {
    const def = productCatalogue.tools.find((t) => t.name === name)!;
    const sent = wire(args);
    const seen = asTheToolSeesIt(sent ?? {});
    const zodValid = publishedInput(def).safeParse(seen).success;
    const ajvValid = validatorFor(p.tools.get(name)!.inputSchema)(seen).valid;
    const outcome = classify(name, await p.call(name, sent), what);
    counts.calls++;
    if (outcome.kind === 'ok') counts.ok++;
    else if (outcome.kind === 'invalid-input') counts.invalid++;
    else if (outcome.kind === 'tool-error') counts.toolError++;
    else counts.rpcError++;
    assert.equal(ajvValid, zodValid, `${what}: the published inputSchema says ${ajvValid ? 'valid' : 'invalid'}, the tool's schema ${zodValid ? 'valid' : 'invalid'}`);
    if (!zodValid) assert.equal(outcome.kind, 'invalid-input', `${what}: invalid arguments reached the tool: ${JSON.stringify(outcome).slice(0, 400)}`);
    else assert.notEqual(outcome.kind, 'invalid-input', `${what}: valid arguments were refused: ${JSON.stringify(outcome).slice(0, 400)}`);
    if (outcome.kind === 'ok') p.checkOk(name, outcome.result, what);
    return { outcome, zodValid };
  }

  for (const def of productCatalogue.tools) {
    test(`${def.name}: every edge case of its inputSchema is refused as invalid input`, async () => {
      const schema = p.tools.get(def.name)!.inputSchema as JsonSchema;
      const cases = boundaryCases(schema);
      assert.ok(cases.length >= 5, `${def.name}: ${cases.length} cases`);
      for (const c of cases) {
        const { zodValid } = await run(def.name, c.args, `${def.name} [${c.label}]`);
        if (c.label !== 'extra key __proto__') assert.equal(zodValid, false, `${def.name} [${c.label}] was meant to be invalid: ${JSON.stringify(c.args).slice(0, 200)}`);
      }
    });

    test(`${def.name}: fast-check arguments (valid, one field broken, arbitrary JSON, pollution keys)`, async () => {
      const schema = p.tools.get(def.name)!.inputSchema as JsonSchema;
      let valid = 0;
      await fc.assert(
        fc.asyncProperty(hostileArgs(schema), async (args: Json) => {
          const { zodValid } = await run(def.name, args, `${def.name} ${JSON.stringify(args).slice(0, 160)}`);
          if (zodValid) valid++;
        }),
        { numRuns: RUNS, verbose: 1 },
      );
      assert.ok(valid > 0, `${def.name}: no valid arguments were generated in ${RUNS} runs`);
    });
  }

  test('arguments that are not an object are -32602 (the CallToolRequest shape), for every tool', async () => {
    for (const def of productCatalogue.tools) {
      for (const args of [5, 'x', ['a'], true]) {
        const answer = await p.call(def.name, args);
        const outcome = classify(def.name, answer, `${def.name} arguments=${JSON.stringify(args)}`);
        assert.equal(outcome.kind, 'rpc-error', `${def.name} arguments=${JSON.stringify(args)}: ${JSON.stringify(outcome).slice(0, 300)}`);
      }
    }
  });

  test('unknown tool names (empty, 10,000 chars, unicode, __proto__, constructor) are -32602', async () => {
    for (const name of ['', 'x'.repeat(10_000), '\uD800', 'get_cpu\u0000', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const outcome = classify(name, await p.call(name, {}), `tool ${JSON.stringify(name.slice(0, 20))}`);
      assert.equal(outcome.kind, 'rpc-error', JSON.stringify(outcome).slice(0, 300));
    }
  });

  test('a top-level __proto__ key is dropped, not inherited: its payload changes nothing', async () => {
    const cases: Array<[string, string, (sc: { data: Record<string, unknown>; windowSec?: number }) => void]> = [
      ['get_cpu', '{"__proto__": {"perCore": true, "windowSec": 100}}', (sc) => assert.equal(sc.data.perCore, undefined, 'perCore came from the prototype')],
      ['top_processes', '{"__proto__": {"limit": 1}}', (sc) => assert.ok((sc.data.processes as unknown[]).length > 1, 'limit came from the prototype')],
    ];
    for (const [name, json, check] of cases) {
      const outcome = classify(name, await p.call(name, JSON.parse(json)), `${name} ${json}`);
      assert.equal(outcome.kind, 'ok', JSON.stringify(outcome).slice(0, 300));
      if (outcome.kind === 'ok') check(outcome.result.structuredContent as never);
    }
    const path = classify('get_config', await p.call('get_config', JSON.parse('{"__proto__": {"path": "/etc/hostname"}}')), 'get_config __proto__.path');
    assert.equal(path.kind, 'invalid-input', 'a required path inherited from __proto__ must not count');
    assertNotPolluted();
  });

  test('afterwards: Object.prototype is untouched and the server still serves get_cpu', async () => {
    assertNotPolluted();
    const outcome = classify('get_cpu', await p.call('get_cpu', {}), 'get_cpu after the run');
    assert.equal(outcome.kind, 'ok');
    if (outcome.kind === 'ok') p.checkOk('get_cpu', outcome.result, 'get_cpu after the run');
    assert.ok(counts.calls > 500, `${counts.calls} calls`);
  });
});
