/**
 * JournalLineStream: the same entries, garbage count and order as parsing the whole output at once, whatever
 * the chunk boundaries (inside a line, inside a UTF-8 sequence, on the newline); a cut last line dropped, an
 * unterminated complete one kept; grep as a case-insensitive literal; a cancelled signal thrown by end().
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JournalLineStream, parseJournalOutput } from './journal-lines.js';
import type { JournalEntry } from './journal-lines.js';

const line = (i: number, message: string): string => JSON.stringify({ __REALTIME_TIMESTAMP: String(1_700_000_000_000_000 + i), MESSAGE: message, PRIORITY: String(i % 8), _SYSTEMD_UNIT: `u${i % 3}.service` });
const text = [line(1, 'héllo wörld ✓'), 'not json', '', line(2, 'Failed password'), '   ', line(3, '日本語 FAILED'), '{"a":1}', line(4, 'last')].join('\n');

async function streamed(chunks: Buffer[], cut: boolean, needle?: string, signal?: AbortSignal): Promise<{ entries: JournalEntry[]; s: JournalLineStream }> {
  const entries: JournalEntry[] = [];
  const s = new JournalLineStream((e) => entries.push(e), needle, { signal, sliceMs: 0 });
  for (const c of chunks) {
    s.push(c);
    await new Promise((r) => setImmediate(r));
  }
  await s.end(cut);
  return { entries, s };
}

test('every split point gives the entries parsing the whole output gives', async () => {
  const bytes = Buffer.from(text, 'utf8');
  const whole = parseJournalOutput(text, false);
  assert.equal(whole.entries.length, 4);
  for (let at = 0; at <= bytes.length; at++) {
    const { entries, s } = await streamed([bytes.subarray(0, at), bytes.subarray(at)], false);
    assert.deepEqual(entries, whole.entries, `split at byte ${at}`);
    assert.equal(s.garbage, whole.garbage);
    assert.equal(s.all, 4);
  }
  const bytewise = await streamed([...bytes].map((b) => Buffer.from([b])), false);
  assert.deepEqual(bytewise.entries, whole.entries);
});

test('a cut output drops its last line uncounted; grep keeps matching messages only', async () => {
  const bytes = Buffer.from(`${text}\n${line(5, 'cut here')}`.slice(0, -10), 'utf8');
  const cut = await streamed([bytes], true);
  assert.equal(cut.entries.length, 4);
  assert.equal(cut.s.garbage, 2);
  const grep = await streamed([Buffer.from(text)], false, 'failed');
  assert.deepEqual(grep.entries.map((e) => e.message), ['Failed password', '日本語 FAILED']);
  assert.equal(grep.s.all, 4);
  assert.equal(grep.s.matched, 2);
  assert.equal(grep.s.sawOutput, true);
  assert.equal((await streamed([Buffer.from(' \n\n')], false)).s.sawOutput, false);
});

test('a cancelled stream stops parsing and end() throws the reason', async () => {
  const ac = new AbortController();
  ac.abort(new Error('cancelled'));
  const many = Buffer.from(Array.from({ length: 2000 }, (_, i) => line(i, 'm')).join('\n'));
  await assert.rejects(streamed([many, many], false, undefined, ac.signal), /cancelled/);
});
