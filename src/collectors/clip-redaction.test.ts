/**
 * Clipping never splits a secret: text not yet redacted is cut between tokens (clipBeforeRedaction), command
 * lines are redacted before they are clipped (formatCmdline), already-redacted text never loses half a
 * `[REDACTED]` marker (clipString), and audit arguments are bounded between tokens before their redaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipBeforeRedaction, clipString, clipStringBeforeRedaction } from './read.js';
import { formatCmdline, formatCmdlineDetailed } from './process-detail.js';
import { redactArgs } from '../http/audit-entry.js';

const TOKEN = 'Zq8pL2mN4xQwR7tY1uIo9PaS3dFgH6jKlZxC5vBn'; // 40 chars, high entropy

test('clipBeforeRedaction: the cut moves to the start of the token it would split', () => {
  const s = `run --verbose ${TOKEN} --port 80`;
  const cut = clipBeforeRedaction(s, 'run --verbose '.length + 20);
  assert.equal(cut, 'run --verbose ');
  assert.equal(clipBeforeRedaction('short', 100), 'short');
  // a token that fills the last 64 chars before the cut is long enough to be judged whole: cut at the bound
  const long = `x ${'a'.repeat(200)}`;
  assert.equal(clipBeforeRedaction(long, 100).length, 100);
  assert.equal(clipStringBeforeRedaction(s, 'run --verbose '.length + 20), `run --verbose …[+${s.length - 'run --verbose '.length} chars]`);
});

test('clipString never cuts a [REDACTED] marker in two', () => {
  const s = 'password: [REDACTED] and more text after it';
  for (let n = 'password: '.length + 1; n < 'password: [REDACTED]'.length; n++) assert.equal(clipString(s, n), `password: …[+${s.length - 10} chars]`, `cut at ${n}`);
  assert.equal(clipString(s, 20), `password: [REDACTED]…[+${s.length - 20} chars]`);
  assert.equal(clipString('abcdef', 3, 10), 'abc…[+13 chars]');
});

test('a command line is redacted before it is clipped: a 40-char token across the cut is not shown in halves', () => {
  const prefix = 'app --mode fast ';
  const raw = `${prefix}${TOKEN} --next`.replaceAll(' ', '\0');
  const shown = formatCmdline(raw, prefix.length + 20)!;
  assert.ok(!shown.includes(TOKEN.slice(0, 20)), shown);
  assert.ok(shown.startsWith(`${prefix}[REDACTED]`), shown);
  const flag = formatCmdlineDetailed('app\0--token\0abcdefghij0123456789\0--x', 16)!;
  assert.equal(flag.redactions, 1);
  assert.ok(!flag.text.includes('abcdef'), flag.text);
});

test('audit arguments: a secret straddling the 4 KiB pre-redaction bound is not shown in part', () => {
  // a private key shrinks to one [REDACTED] line, so what was near the 4 KiB bound lands inside the 256 chars shown
  const head = '-----BEGIN PRIVATE KEY-----\n';
  const tail = '\n-----END PRIVATE KEY-----\nnote ';
  const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'.repeat(200).slice(0, 4096 - 20 - head.length - tail.length);
  const shown = JSON.stringify(redactArgs({ q: `${head}${body}${tail}${TOKEN}` }));
  assert.ok(shown.includes('note'), shown);
  assert.ok(!shown.includes(TOKEN.slice(0, 8)), shown);
});
