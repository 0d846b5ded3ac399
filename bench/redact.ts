/**
 * Redaction bench: what the default-on redactor costs. Never part of the tests.
 *
 *   node --import tsx bench/redact.ts [--rounds 200]
 *
 * Prints (CPU time of this process per call, so other load on the machine inflates it less):
 *  - corpus: µs per KB over test/fixtures/redaction/{positive,negative}.txt (the lines as one text and line by line);
 *  - result: ms to redact a ~24 KiB tool result (the default maxResultBytes) through the central walker
 *    (redactValue), for a clean one (the common case) and one with a secret in every item; target ≤ 2 ms;
 *  - adversarial: ms for inputs that would make a backtracking pattern explode (100 KB of `a=a=…`,
 *    `eyJ` repeated, 1 MB of base64, …), with their µs per KB to show the work stays linear.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact } from '../src/redaction/redact.js';
import { redactValue } from '../src/server/redact-result.js';
import { ADVERSARIAL } from '../test/support/redact-adversarial.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'redaction');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 200;

function time(fn: () => void, rounds: number): number {
  for (let i = 0; i < Math.min(20, rounds); i++) fn();
  // CPU time of this process, not wall time: on a shared machine the wall clock also counts other processes
  const c0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / rounds;
}

const kb = (s: string): number => Buffer.byteLength(s) / 1024;
const corpus = ['positive.txt', 'negative.txt'].map((f) => readFileSync(join(dir, f), 'utf8').replaceAll('«', '').replaceAll('»', '').replaceAll('⏎', '\n')).join('');
const lines = corpus.split('\n');
const whole = time(() => redact(corpus), ROUNDS);
const perLine = time(() => lines.forEach((l) => redact(l)), ROUNDS);
console.log(`corpus ${kb(corpus).toFixed(1)} KB, ${lines.length} lines: ${((whole * 1000) / kb(corpus)).toFixed(1)} µs/KB as one text, ${((perLine * 1000) / kb(corpus)).toFixed(1)} µs/KB line by line`);

function result(secret: boolean): unknown {
  const processes = [];
  for (let i = 0; processes.length < 400; i++) {
    processes.push({
      pid: 1000 + i,
      user: 'app',
      state: 'S',
      comm: `worker-${i}`,
      cmdline: `/usr/bin/python3 /opt/app/worker.py --queue jobs-${i} --port ${8000 + i}${secret ? ` --password=S3cretValue${i}` : ''} --log /var/log/app/worker-${i}.log`,
      rssBytes: 123456789 + i,
      startedAt: '2026-11-24T10:00:00Z',
    });
    if (JSON.stringify(processes).length > 24 * 1024) break;
  }
  return { data: { processes }, assessments: [{ status: 'ok', message: 'memory use is normal', evidence: ['MemAvailable 55 %'] }], warnings: [] };
}
for (const secret of [false, true]) {
  const r = result(secret);
  const bytes = Buffer.byteLength(JSON.stringify(r));
  const ms = time(() => redactValue(r), ROUNDS);
  console.log(`${(bytes / 1024).toFixed(1)} KiB result, ${secret ? 'a secret in every item' : 'clean'}: ${ms.toFixed(3)} ms (target ≤ 2 ms) ${ms <= 2 ? 'PASS' : 'MISS'}`);
}

for (const { name, input } of ADVERSARIAL) {
  const ms = time(() => redact(input), 3);
  console.log(`adversarial ${name.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms  ${((ms * 1000) / kb(input)).toFixed(1).padStart(7)} µs/KB`);
}
