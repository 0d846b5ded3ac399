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

  test('a line longer than the bound is answered -32600 (id null) and dropped to its newline, whole or in pieces; later lines are inspected again', async () => {
    const long = `"${'x'.repeat(100)}"`;
    const tooLong = `${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: a line longer than 16 bytes' } })}\n`;
    const { passed, answered } = await run([long.slice(0, 40), long.slice(40), '\nbad\n{"ok":1}\n'], 16);
    assert.equal(passed, '{"ok":1}\n');
    assert.equal(answered, tooLong + PARSE_ERROR_LINE);
    const whole = await run([`${long}\n{"ok":2}\n`], 16);
    assert.equal(whole.passed, '{"ok":2}\n');
    assert.equal(whole.answered, tooLong);
  });

  test('the HTTP body bounds per line: shape before parsing, then names, URIs, progressToken and heavy batches, answered with the id when known', async () => {
    const req = (id: unknown, method: string, params: unknown): string => JSON.stringify({ jsonrpc: '2.0', id, method, params });
    const lines = [
      `${'['.repeat(100)}${']'.repeat(100)}`,
      req('wide', 'tools/call', { name: 'get_cpu', arguments: Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`k${i}`, 0])) }),
      req('m', 'm'.repeat(1_025), {}),
      req('t', 'tools/call', { name: 't'.repeat(1_025), arguments: {} }),
      req('u', 'resources/read', { uri: `diag://local/config/${'u'.repeat(16_400)}` }),
      req('p', 'tools/call', { name: 'get_cpu', arguments: {}, _meta: { progressToken: 'p'.repeat(257) } }),
      JSON.stringify(Array.from({ length: 5 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'tools/list' }))),
      req('ok', 'tools/call', { name: 't'.repeat(1_024), arguments: {}, _meta: { progressToken: 'p'.repeat(256) } }),
    ];
    const { passed, answered } = await run(lines.map((l) => `${l}\n`));
    assert.equal(passed, `${lines.at(-1)}\n`);
    const answers = answered.trim().split('\n').map((l) => JSON.parse(l) as { id: unknown; error: { code: number; message: string; data?: { uri?: string } } });
    assert.deepEqual(
      answers.map((a) => [a.id, a.error.code]),
      [[null, -32600], ['wide', -32602], ['m', -32601], ['t', -32602], ['u', -32602], ['p', -32602], [null, -32600]],
    );
    assert.match(answers[5]!.error.message, /progressToken of 257 characters/);
    assert.ok(answers.every((a) => a.error.message.length < 400 && (a.error.data?.uri?.length ?? 0) < 300), 'echoes clipped');
  });
});
