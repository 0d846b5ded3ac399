/**
 * Hostile lines on `hostlens serve --stdio`: non-JSON, truncated JSON, a
 * 100,000-level array, arguments nested 100,000 levels, invalid UTF-8, a JSON
 * array, a response object, a 5 MB line. The process stays up, writes nothing
 * but JSON-RPC messages on stdout, answers the nested-arguments call as an
 * invalid-input tool result, and then serves get_memory.
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
    assert.equal((deep.result as { isError?: boolean }).isError, true);
    const big = await answerTo(s, 'big');
    assert.equal((big.result as { isError?: boolean }).isError, true);
    assert.ok(JSON.stringify(big).length < 10_000, 'the 5 MB value is not echoed back');
    const afterCall = await answerTo(s, 'after');
    assert.ok((afterCall.result as { structuredContent?: unknown }).structuredContent, JSON.stringify(afterCall).slice(0, 300));
    assert.equal(s.child.exitCode, null, 'still running');
    assert.doesNotMatch(s.stderr(), /\n\s+at .+:\d+:\d+/, 'no stack trace in the logs');
    assert.ok(!stdoutMessages(s).some((m) => m.id === 99), 'a response object is not answered');
  });
});
