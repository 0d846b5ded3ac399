/**
 * The real-HTTP sample of the tool-input fuzz (tool-inputs.test.ts does the
 * volume in process): for every tool of the product catalogue, a few edge
 * cases of its inputSchema and a few fast-check arguments go through the SDK
 * client over Streamable HTTP in both eras (legacy session and 2026-07-28
 * stateless), to the product app in this process. Same verdicts as in
 * process: invalid arguments are an "Input validation error" tool result,
 * valid ones a result matching the outputSchema or a clear tool error, never
 * -32603, never a stack; Object.prototype untouched; the server still serves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult, ClientOptions, Tool } from '@modelcontextprotocol/client';
import { productCatalogue } from '../../src/catalogue/index.js';
import { publishedInput } from '../../src/server/host-argument.js';
import { MODERN } from '../http/helpers.js';
import { assertNotPolluted, classify, delay, outputChecker, startProductHttp, within } from './harness.js';
import { boundaryCases, hostileArgs } from './schema-arb.js';
import type { JsonSchema } from './schema-arb.js';

const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];
const EDGE_CASES = 3;
const RANDOM = 3;

describe('hostile tool inputs over HTTP, both eras (sample)', { timeout: 180_000 }, () => {
  let h: Awaited<ReturnType<typeof startProductHttp>>;
  before(async () => {
    h = await startProductHttp();
    await delay(1_100);
  });
  after(async () => {
    await h?.close();
  });

  for (const era of ERAS) {
    test(`${era.name}: ${EDGE_CASES} edge cases and ${RANDOM} fast-check arguments per tool`, async () => {
      const client = new Client({ name: `hostile-${era.name}`, version: '1' }, era.options);
      await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(h.url))));
      try {
        const tools = new Map<string, Tool>();
        for (const t of (await client.listTools()).tools) tools.set(t.name, t);
        const checkOk = outputChecker(tools);
        const counts = { ok: 0, invalid: 0, toolError: 0 };
        const call = async (name: string, args: unknown, what: string): Promise<void> => {
          const sent = JSON.parse(JSON.stringify(args)) as Record<string, unknown>;
          let answer: { result?: CallToolResult; error?: unknown };
          try {
            answer = { result: (await client.request({ method: 'tools/call', params: { name, arguments: sent } }, { timeout: 20_000 })) as CallToolResult };
          } catch (error) {
            answer = { error };
          }
          const outcome = classify(name, answer, `${era.name} ${what}`);
          const def = productCatalogue.tools.find((t) => t.name === name)!;
          const seen = Object.fromEntries(Object.entries(sent).filter(([k]) => k !== '__proto__'));
          const valid = publishedInput(def).safeParse(seen).success;
          if (!valid) assert.equal(outcome.kind, 'invalid-input', `${era.name} ${what}: ${JSON.stringify(outcome).slice(0, 300)}`);
          else assert.ok(outcome.kind === 'ok' || outcome.kind === 'tool-error', `${era.name} ${what}: ${JSON.stringify(outcome).slice(0, 300)}`);
          if (outcome.kind === 'ok') {
            checkOk(name, outcome.result, `${era.name} ${what}`);
            counts.ok++;
          } else if (outcome.kind === 'invalid-input') counts.invalid++;
          else counts.toolError++;
        };
        for (const def of productCatalogue.tools) {
          const schema = tools.get(def.name)!.inputSchema as JsonSchema;
          const cases = boundaryCases(schema);
          // a pollution key, then spread over the list: first, last, middle
          const picks = [cases.find((c) => c.label === 'extra key constructor'), cases[0], cases[cases.length - 1], cases[Math.floor(cases.length / 2)]];
          for (const c of picks.slice(0, EDGE_CASES)) if (c) await call(def.name, c.args, `${def.name} [${c.label}]`);
          const samples = fc.sample(hostileArgs(schema), { numRuns: RANDOM, seed: def.name.length * 7919 });
          for (const args of samples) await call(def.name, args, `${def.name} ${JSON.stringify(args).slice(0, 120)}`);
        }
        assert.ok(counts.invalid > productCatalogue.tools.length, JSON.stringify(counts));
        assert.ok(counts.ok > 0, JSON.stringify(counts));
        const okBefore = counts.ok;
        await call('get_cpu', {}, 'get_cpu after the sample');
        assert.equal(counts.ok, okBefore + 1, 'the server still serves get_cpu');
        assertNotPolluted();
      } finally {
        await client.close().catch(() => undefined);
      }
    });
  }
});
