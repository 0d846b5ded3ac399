/**
 * Live: get_kernel_events on this machine's real kernel log. A child python3 dereferences NULL (a real page
 * fault, unhandled, so the kernel logs "python3[pid]: segfault at 0 … in libc…" when debug.exception-trace is 1);
 * the tool must find that very pid as a segfault. Runs where /dev/kmsg is readable (or a journal holds kernel
 * messages); with CI=true a machine without either fails instead of skipping. The child is bounded by a timeout.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ToolContext } from '../../src/definitions/types.js';
import { getKernelEvents } from '../../src/tools/get-kernel-events.js';
import { servicesAt } from '../fixtures/fixture-services.js';

function kmsgReadable(): boolean {
  try {
    closeSync(openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK));
    return true;
  } catch {
    return false;
  }
}
const exceptionTrace = (() => {
  try {
    return readFileSync('/proc/sys/debug/exception-trace', 'utf8').trim() === '1';
  } catch {
    return false;
  }
})();
const runnable = kmsgReadable() && exceptionTrace;
const skip = !runnable && process.env.CI !== 'true' ? '/dev/kmsg not readable or debug.exception-trace is 0' : false;
const ctx = { services: servicesAt(), served: new Map(), signal: new AbortController().signal, progress: async () => {} } as ToolContext;

// The timeout is a hang guard (a normal run takes well under a second); the call's latency is only printed.
test('live: a real segfault of a child process is reported with its pid, comm and library', { skip, timeout: 30_000 }, async (t) => {
  const child = spawnSync('python3', ['-c', 'import os, ctypes; print(os.getpid(), flush=True); ctypes.string_at(0)'], { encoding: 'utf8', timeout: 10_000, killSignal: 'SIGKILL' });
  assert.equal(child.error, undefined, `python3 could not run: ${child.error?.message}`);
  assert.equal(child.signal, 'SIGSEGV', `the child should die of SIGSEGV (status ${child.status}, signal ${child.signal})`);
  const pid = Number(child.stdout.trim());
  assert.ok(pid > 0);
  const t0 = performance.now();
  const r = await getKernelEvents.handler(getKernelEvents.input.parse({ since: '-10m', kinds: ['segfault'], limit: 200 }), ctx);
  t.diagnostic(`get_kernel_events answered in ${Math.round(performance.now() - t0)} ms`);
  assert.ok(r.data.source === 'kmsg' || r.data.source === 'journal');
  const e = r.data.events.find((x) => x.pid === pid);
  assert.ok(e, `no segfault event for pid ${pid} among ${JSON.stringify(r.data.events.map((x) => x.summary))}`);
  assert.match(e.comm ?? '', /^python/);
  assert.equal(e.details.address, '0x0');
  assert.match(String(e.details.lib), /^lib/);
  assert.ok(Date.parse(e.ts!) > Date.now() - 10 * 60_000 && Date.parse(e.ts!) < Date.now() + 5000, `event time ${e.ts} is now-ish`);
  assert.ok(r.data.countsByKind.segfault >= 1);
});
