/**
 * Hostile prompt arguments and completions, in process through the real
 * server: for every prompt, fast-check string values (any code point incl.
 * lone surrogates and NUL) and fixed hostile ones (100 KB, traversal, template
 * and shell syntax, CRLF, RTL override) for each of its arguments. Each
 * prompts/get is messages of text or -32602 naming the argument (missing
 * required ones too); an unknown prompt is -32602; completion/complete with
 * hostile values answers bounded values or -32602; never -32603, never a
 * stack; Object.prototype untouched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Prompt } from '@modelcontextprotocol/client';
import { assertNoLeak, assertNotPolluted, startInProcess } from './harness.js';
import type { InProcess } from './harness.js';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 25);
const FIXED = ['x'.repeat(100_000), '../../etc/shadow', '${jndi:ldap://127.0.0.1/x}', '{{7*7}}', '$(reboot)', '`id`', 'a\r\n\r\nInjected: 1', '\u202egnp.exe', '\uD800', 'a\u0000b', ' ', ''];

describe('hostile prompt arguments and completions', { timeout: 60_000 }, () => {
  let p: InProcess;
  let prompts: Prompt[];
  before(async () => {
    p = await startInProcess({ startSampler: false });
    prompts = (await p.client.listPrompts()).prompts;
  });
  after(async () => {
    await p?.close();
  });

  async function get(name: string, args: Record<string, string>, what: string): Promise<'ok' | 'invalid'> {
    try {
      const r = await p.client.getPrompt({ name, arguments: args });
      assert.ok(r.messages.length > 0, `${what}: no messages`);
      for (const m of r.messages) {
        assert.ok(m.content.type === 'text' || m.content.type === 'resource', `${what}: ${m.content.type}`);
        if (m.content.type === 'text') assertNoLeak(m.content.text, what);
      }
      return 'ok';
    } catch (e) {
      const err = e as { code?: number; message?: string };
      assert.equal(err.code, -32602, `${what}: ${err.code} ${String(err.message).slice(0, 300)}`);
      assertNoLeak(String(err.message), what);
      return 'invalid';
    }
  }

  test('every prompt: fixed hostile values in each argument → messages or -32602', async () => {
    assert.ok(prompts.length >= 5);
    for (const prompt of prompts) {
      for (const arg of prompt.arguments ?? []) {
        for (const value of FIXED) await get(prompt.name, { [arg.name]: value }, `${prompt.name}.${arg.name}=${JSON.stringify(value.slice(0, 30))}`);
      }
      if ((prompt.arguments ?? []).some((a) => a.required)) assert.equal(await get(prompt.name, {}, `${prompt.name} without its required arguments`), 'invalid');
      await get(prompt.name, { unexpectedArgument: 'x', ['__proto__']: 'y' }, `${prompt.name} with unknown arguments`);
    }
    for (const name of ['no_such_prompt', '', '__proto__', 'x'.repeat(10_000)]) assert.equal(await get(name, {}, `prompt ${name.slice(0, 20)}`), 'invalid');
  });

  test(`fast-check (${RUNS} per prompt): arbitrary code points in every argument at once`, async () => {
    for (const prompt of prompts) {
      const names = (prompt.arguments ?? []).map((a) => a.name);
      if (names.length === 0) continue;
      const argsArb = fc.record(Object.fromEntries(names.map((n) => [n, fc.string({ unit: 'binary', maxLength: 300 })])));
      await fc.assert(
        fc.asyncProperty(argsArb, async (args) => {
          await get(prompt.name, args as Record<string, string>, `${prompt.name} ${JSON.stringify(args).slice(0, 120)}`);
        }),
        { numRuns: RUNS },
      );
    }
  });

  test('completion/complete with hostile values: at most 100 values or -32602', async () => {
    for (const prompt of prompts) {
      for (const arg of prompt.arguments ?? []) {
        for (const value of ['../', 'x'.repeat(10_000), '\u0000', '\uD800', '*', '%']) {
          try {
            const r = await p.client.complete({ ref: { type: 'ref/prompt', name: prompt.name }, argument: { name: arg.name, value } });
            assert.ok(r.completion.values.length <= 100);
            for (const v of r.completion.values) assertNoLeak(v, `${prompt.name}.${arg.name} completion`);
          } catch (e) {
            assert.equal((e as { code?: number }).code, -32602, `${prompt.name}.${arg.name}: ${String((e as Error).message).slice(0, 200)}`);
          }
        }
      }
    }
    await assert.rejects(p.client.complete({ ref: { type: 'ref/prompt', name: 'no_such_prompt' }, argument: { name: 'x', value: '' } }), (e) => (e as { code?: number }).code === -32602);
    assertNotPolluted();
  });
});
