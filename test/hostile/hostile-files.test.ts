/**
 * Hostile files inside the allow-lists of read_log_file and get_config: a sparse 100 GiB log, a 50 MiB log
 * without a single newline, random binary bytes, a FIFO (an open would block until a writer comes), and
 * symlinks to /dev/zero (endless) and /dev/stdin. Every call answers: within the result budget
 * (the tail and scan budgets hold), or a clear refusal (not a regular file, binary, a symlink — never followed);
 * nothing blocks on the FIFO or reads /dev/zero.
 *
 * Promptness is checked as behaviour, not as a duration: the FIFO has no writer and /dev/zero no end, so a
 * call that opened either would never answer (the call's timeout is a hang guard, far above a normal answer),
 * and the huge files are bounded in bytes read — the scan budget of read_log_file, the 1 MiB read of
 * get_config — as the results report them. Latencies are printed only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_CONFIG_READ_BYTES } from '../../src/diagnostics/config-file.js';
import { MAX_SCAN_BYTES } from '../../src/diagnostics/log-file.js';
import { classify, startInProcess } from './harness.js';
import type { InProcess } from './harness.js';

describe('hostile files in the allow-lists', { timeout: 60_000 }, () => {
  let base: string;
  let p: InProcess;
  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'hostlens-hostile-files-'));
    const fd = openSync(join(base, 'sparse.log'), 'w');
    ftruncateSync(fd, 100 * 1024 ** 3);
    closeSync(fd);
    writeFileSync(join(base, 'oneline.log'), 'z'.repeat(50 * 1024 * 1024));
    writeFileSync(join(base, 'binary.log'), Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 256)));
    const fifo = spawnSync('mkfifo', [join(base, 'fifo.log')]);
    assert.equal(fifo.status, 0, 'mkfifo');
    symlinkSync('/dev/zero', join(base, 'zero.log'));
    symlinkSync('/dev/stdin', join(base, 'stdin.log'));
    p = await startInProcess({ startSampler: false, logFiles: [`${base}/*.log`], configFiles: [`${base}/**`] });
  });
  after(async () => {
    await p?.close();
    rmSync(base, { recursive: true, force: true });
  });

  const expected: Record<string, { read_log_file: RegExp | 'ok'; get_config: RegExp | 'ok' }> = {
    'sparse.log': { read_log_file: 'ok', get_config: /binary file/ },
    'oneline.log': { read_log_file: 'ok', get_config: 'ok' },
    'binary.log': { read_log_file: 'ok', get_config: /binary file/ },
    'fifo.log': { read_log_file: /not a regular file/, get_config: /not a regular file/ },
    'zero.log': { read_log_file: /^refused: a symlink in the path/, get_config: /^refused: a symlink in the path/ },
    'stdin.log': { read_log_file: /^refused: a symlink in the path/, get_config: /^refused: a symlink in the path/ },
  };

  for (const tool of ['read_log_file', 'get_config'] as const) {
    test(`${tool}: sparse, newline-less, binary, FIFO, /dev/zero and /dev/stdin answer, bounded`, async (t) => {
      for (const [file, want] of Object.entries(expected)) {
        const args = { path: join(base, file), ...(tool === 'read_log_file' ? { lines: 5, grep: 'x', includeRotated: true } : {}) };
        const started = performance.now();
        const outcome = classify(tool, await p.call(tool, args, 20_000), `${tool} ${file}`);
        t.diagnostic(`${file}: answered in ${Math.round(performance.now() - started)} ms`);
        if (want[tool] === 'ok') {
          assert.equal(outcome.kind, 'ok', `${tool} ${file}: ${JSON.stringify(outcome).slice(0, 300)}`);
          if (outcome.kind !== 'ok') continue;
          p.checkOk(tool, outcome.result, `${tool} ${file}`);
          const data = (outcome.result.structuredContent as { data: Record<string, unknown> }).data;
          if (tool === 'read_log_file') {
            // Read backwards from the end: at most the scan budget, plus the one read chunk that may cross it.
            const scanned = (data.filesRead as Array<{ scannedBytes: number }>).reduce((sum, f) => sum + f.scannedBytes, 0);
            t.diagnostic(`${file}: ${scanned} bytes scanned`);
            assert.ok(scanned <= MAX_SCAN_BYTES + 64 * 1024, `${tool} ${file}: ${scanned} bytes scanned, budget ${MAX_SCAN_BYTES}`);
          } else {
            assert.equal(data.readTruncated, true, `${tool} ${file}: a file over ${MAX_CONFIG_READ_BYTES} bytes is read only up to that bound`);
          }
        } else {
          assert.equal(outcome.kind, 'tool-error', `${tool} ${file}: ${JSON.stringify(outcome).slice(0, 300)}`);
          if (outcome.kind === 'tool-error') assert.match(outcome.text, want[tool] as RegExp, `${tool} ${file}`);
        }
      }
    });
  }
});
