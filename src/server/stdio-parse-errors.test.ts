import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { answerParseErrors, PARSE_ERROR_LINE } from './stdio-parse-errors.js';

async function run(chunks: string[], maxLineBytes?: number): Promise<{ passed: string; answered: string }> {
  const stdin = new PassThrough();
  let answered = '';
  const stdout = new Writable({ write: (c: Buffer, _e, done) => void ((answered += c.toString()), done()) });
  const out = answerParseErrors(stdin, stdout, maxLineBytes);
  let passed = '';
  out.on('data', (c: Buffer) => (passed += c.toString()));
  const ended = new Promise((resolve) => out.on('end', resolve));
  for (const c of chunks) stdin.write(c);
  stdin.end();
  await ended;
  return { passed, answered };
}

describe('stdio parse errors', () => {
  test('valid lines pass unchanged (split across chunks, CRLF); invalid ones are answered -32700 and dropped; blank lines dropped', async () => {
    const { passed, answered } = await run(['{"a":', '1}\r\nnot json\n\n{"jsonrpc":"2.0","id":1,\n[1,2]\n', '{"tail":true}']);
    assert.equal(passed, '{"a":1}\r\n[1,2]\n{"tail":true}');
    assert.equal(answered, PARSE_ERROR_LINE.repeat(2));
    assert.deepEqual(JSON.parse(PARSE_ERROR_LINE), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the line is not valid JSON' } });
  });

  test('a line longer than the bound is passed on whole (the SDK limit applies), later lines are inspected again', async () => {
    const long = `"${'x'.repeat(100)}"`;
    const { passed, answered } = await run([long.slice(0, 40), long.slice(40), '\nbad\n{"ok":1}\n'], 16);
    assert.equal(passed, `${long}\n{"ok":1}\n`);
    assert.equal(answered, PARSE_ERROR_LINE);
  });
});
