/**
 * Hostile lines on `hostlens serve --stdio`: non-JSON, truncated JSON, a
 * 100,000-level array, arguments nested 100,000 levels, invalid UTF-8, a JSON
 * array, a response object, a 5 MB line. The process stays up, writes nothing
 * but JSON-RPC messages on stdout, answers the nested-arguments call -32602 with
 * its id (the HTTP body-shape bounds apply per line), and then serves get_memory.
 * 3 MB method, tool, prompt and URI names and progressTokens are refused with
 * their ids and clipped echoes; a line over 8 MiB is -32600 id null.
 *
 * Unparseable lines are answered -32700 with id null: stdio-parse-error.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killAll } from '../e2e/helpers.js';
import type { Spawned } from '../e2e/helpers.js';
import { answerTo, startStdio, stdoutMessages } from './stdio-child.js';

describe('hostile lines on stdio', { timeout: 60_000 }, () => {
  let s: Spawned;
  before(async () => {
    s = await startStdio();
  });
  after(async () => {
    await killAll();
  });

  test('garbage, deep nesting, invalid UTF-8 and a 5 MB line: still up, stdout only JSON-RPC, the next call served', async () => {
    const lines: Array<string | Buffer> = [
      'not json at all\n',
      '{"jsonrpc":"2.0","id":1,\n',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
      `{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"get_cpu","arguments":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}\n`,
      Buffer.from([0xff, 0xfe, 0x7b, 0x0a]),
      '[{"jsonrpc":"2.0","id":7,"method":"ping"}]\n',
      '{"jsonrpc":"2.0","id":99,"result":{}}\n',
      `{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"name":"get_cpu","arguments":{"x":"${'b'.repeat(5_000_000)}"}}}\n`,
      '{"jsonrpc":"2.0","id":"after","method":"tools/call","params":{"name":"get_memory","arguments":{}}}\n',
    ];
    for (const line of lines) s.child.stdin.write(line);
    const deep = await answerTo(s, 'deep');
    assert.equal(deep.error?.code, -32602, JSON.stringify(deep).slice(0, 300));
    assert.match(deep.error.message, /nesting deeper than 64 levels/);
    const big = await answerTo(s, 'big');
    assert.equal((big.result as { isError?: boolean }).isError, true);
    assert.ok(JSON.stringify(big).length < 10_000, 'the 5 MB value is not echoed back');
    const afterCall = await answerTo(s, 'after');
    assert.ok((afterCall.result as { structuredContent?: unknown }).structuredContent, JSON.stringify(afterCall).slice(0, 300));
    assert.equal(s.child.exitCode, null, 'still running');
    assert.doesNotMatch(s.stderr(), /\n\s+at .+:\d+:\d+/, 'no stack trace in the logs');
    assert.ok(!stdoutMessages(s).some((m) => m.id === 99), 'a response object is not answered');
  });

  test('3 MB names, URIs and progressTokens → -32601/-32602 with the id and a clipped echo; a 9 MB line → -32600 id null; the next call served', async () => {
    const huge = 'x'.repeat(3_000_000);
    const cases: Array<[string, string, Record<string, unknown>, number]> = [
      ['n-method', huge, {}, -32601],
      ['n-tool', 'tools/call', { name: huge, arguments: {} }, -32602],
      ['n-prompt', 'prompts/get', { name: huge }, -32602],
      ['n-uri', 'resources/read', { uri: `diag://local/config/${huge}` }, -32602],
      ['n-ref', 'completion/complete', { ref: { type: 'ref/prompt', name: huge }, argument: { name: 'symptom', value: 'x' } }, -32602],
      ['n-token', 'tools/call', { name: 'get_cpu', arguments: {}, _meta: { progressToken: huge } }, -32602],
    ];
    const before = stdoutMessages(s).length;
    for (const [id, method, params] of cases) s.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    s.child.stdin.write(`{"jsonrpc":"2.0","id":"n-9mb","method":"tools/call","params":{"name":"get_cpu","arguments":{"x":"${'y'.repeat(9 * 1024 * 1024)}"}}}\n`);
    s.child.stdin.write('{"jsonrpc":"2.0","id":"n-after","method":"tools/call","params":{"name":"get_memory","arguments":{}}}\n');
    for (const [id, , , code] of cases) {
      const answer = await answerTo(s, id);
      assert.equal(answer.error?.code, code, JSON.stringify(answer).slice(0, 300));
      assert.ok(JSON.stringify(answer).length < 1_000, `${id}: the value is not echoed whole`);
    }
    const afterCall = await answerTo(s, 'n-after');
    assert.ok((afterCall.result as { structuredContent?: unknown }).structuredContent, JSON.stringify(afterCall).slice(0, 300));
    const fresh = stdoutMessages(s).slice(before);
    assert.ok(fresh.some((m) => m.id === null && m.error?.code === -32600 && /longer than 8388608 bytes/.test(m.error.message)), 'the 9 MB line was refused');
    assert.ok(!fresh.some((m) => m.id === 'n-9mb'), 'the 9 MB line never reached the SDK');
    assert.equal(s.child.exitCode, null, 'still running');
  });
});
