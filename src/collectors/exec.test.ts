/**
 * runProgram with real child processes (node stands in for the program via
 * `executable`): arguments reach the program verbatim (no shell), a hung
 * program is killed at its timeout, output is capped, an abort kills it, and
 * a missing program or a program outside the table is a result, not a throw.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { describeRunFailure, runProgram } from './exec.js';

const node = process.execPath;

test('arguments are passed verbatim, never through a shell', async () => {
  const hostile = '$(touch /tmp/hostlens-exec-pwned); `id`; echo hi > /tmp/hostlens-exec-pwned';
  const r = await runProgram('journalctl', ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', hostile, '--', '*'], { executable: node });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [hostile, '--', '*']);
  assert.equal(existsSync('/tmp/hostlens-exec-pwned'), false);
  assert.equal(describeRunFailure(r), null);
});

// The program never exits by itself (an interval keeps it alive): a result at all proves it was killed, the
// test's timeout being the hang guard, with no timing threshold a loaded machine could cross.
test('a hung program is SIGKILLed at its timeout and the result says so', { timeout: 30_000 }, async () => {
  const r = await runProgram('journalctl', ['-e', 'setInterval(() => {}, 1000)'], { executable: node, timeoutMs: 300 });
  assert.equal(r.stopped, 'timeout');
  assert.equal(r.killedBy, 'SIGKILL');
  assert.match(describeRunFailure(r) ?? '', /killed after its time limit/);
});

test('output beyond the cap is cut and the program killed', async () => {
  const r = await runProgram('systemctl', ['-e', "for (;;) process.stdout.write('x'.repeat(65536))"], { executable: node, maxOutputBytes: 100_000, timeoutMs: 10_000 });
  assert.equal(r.stopped, 'output-cap');
  assert.equal(r.truncated, true);
  assert.equal(Buffer.byteLength(r.stdout), 100_000);
});

test('an abort kills the program; an already-aborted signal never starts it', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const r = await runProgram('journalctl', ['-e', 'setInterval(() => {}, 1000)'], { executable: node, signal: ac.signal, timeoutMs: 10_000 });
  assert.equal(r.stopped, 'aborted');
  const never = await runProgram('journalctl', ['-e', '1'], { executable: node, signal: AbortSignal.abort() });
  assert.equal(never.stopped, 'aborted');
  assert.equal(never.exitCode, null);
});

test('a missing program, a program outside the table and a NUL in an argument are results, not throws', async () => {
  const missing = await runProgram('journalctl', ['--version'], { executable: '/nonexistent/journalctl' });
  assert.equal(missing.spawnError, 'ENOENT');
  assert.match(describeRunFailure(missing) ?? '', /could not run \(ENOENT\)/);
  const outside = await runProgram('sh' as never, ['-c', 'id']);
  assert.match(outside.spawnError ?? '', /not allowed/);
  const nul = await runProgram('journalctl', ['a\0b']);
  assert.match(nul.spawnError ?? '', /NUL/);
  const failing = await runProgram('systemctl', ['-e', "process.stderr.write('Unit x.service not found.\\n'); process.exit(4)"], { executable: node });
  assert.match(describeRunFailure(failing) ?? '', /exited with 4: Unit x\.service not found\./);
});

test('onStdout receives the output chunk by chunk, cut at the cap, and nothing is collected', async () => {
  const chunks: Buffer[] = [];
  const r = await runProgram('systemctl', ['-e', "for (;;) process.stdout.write('y'.repeat(65536))"], {
    executable: node, maxOutputBytes: 200_000, timeoutMs: 10_000, onStdout: (c) => void chunks.push(c),
  });
  assert.equal(r.stopped, 'output-cap');
  assert.equal(r.stdout, '');
  assert.ok(chunks.length > 1);
  assert.equal(Buffer.concat(chunks).length, 200_000);
  assert.ok(Buffer.concat(chunks).every((b) => b === 0x79));
});
