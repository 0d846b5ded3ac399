/**
 * get_kernel_events behind the real `hostlens serve --toolsets logs`, in both protocol eras: a journal is
 * configured but its `journalctl` (a stand-in first in the server's PATH) hangs. The call must still answer — not
 * an error — after journalctl is killed at its time limit, from /dev/kmsg, saying so; the stand-in is gone.
 * Needs a readable /dev/kmsg (this machine); with CI=true a machine without one fails instead of skipping.
 */
import assert from 'node:assert/strict';
import { chmodSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions } from '@modelcontextprotocol/client';
import { killAll, MODERN, spawnHostlens, within } from './helpers.js';

const kmsgReadable = (() => {
  try {
    closeSync(openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK));
    return true;
  } catch {
    return false;
  }
})();
const skip = !kmsgReadable && process.env.CI !== 'true' ? '/dev/kmsg is not readable here' : false;

describe('get_kernel_events with a hung journalctl behind the real server', { skip, timeout: 90_000 }, () => {
  let dir: string;
  let url: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-kernel-hung-'));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'journal'));
    writeFileSync(join(dir, 'journal', 'system.journal'), ''); // "a journal is present", so journalctl runs
    writeFileSync(join(dir, 'bin', 'journalctl'), `#!/bin/sh\necho $$ >> ${dir}/pids\nexec sleep 60\n`);
    chmodSync(join(dir, 'bin', 'journalctl'), 0o755);
    ({ url } = await spawnHostlens(['serve', '--port', '0', '--toolsets', 'logs'], {
      env: { HOSTLENS_JOURNAL_DIRECTORY: join(dir, 'journal'), PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    }).listening());
  });
  after(async () => {
    await killAll();
    for (const pid of readPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone (what the test asserts)
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const readPids = (): number[] => {
    try {
      return readFileSync(join(dir, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };

  const eras: ReadonlyArray<{ name: string; options: ClientOptions }> = [
    { name: 'legacy', options: {} },
    { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
  ];
  for (const era of eras) {
    // The stand-in sleeps 60 s, twice the call's hang guard: an answer at all proves journalctl was killed, and the
    // warning says its time limit did it, with no timing threshold a loaded machine could cross.
    test(`${era.name} era: answers from /dev/kmsg after journalctl is killed, with both warnings`, async (t) => {
      const client = new Client({ name: `kernel-${era.name}`, version: '1.0.0' }, era.options);
      await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
      try {
        const t0 = performance.now();
        const r = await within(30_000, 'get_kernel_events', client.callTool({ name: 'get_kernel_events', arguments: { since: '-1d' } }));
        t.diagnostic(`get_kernel_events answered after ${Math.round(performance.now() - t0)} ms (journalctl time limit 5 s)`);
        assert.ok(!r.isError, JSON.stringify(r.content));
        const sc = r.structuredContent as { data: { source: string; coverage: { recordsScanned: number } }; warnings?: string[] };
        assert.equal(sc.data.source, 'kmsg');
        assert.ok(sc.data.coverage.recordsScanned > 0);
        const warnings = (sc.warnings ?? []).join(' | ');
        assert.match(warnings, /read \/dev\/kmsg \(current boot only\):.*journalctl was killed after its time limit/);
        const pids = readPids();
        assert.ok(pids.length > 0, 'the stand-in journalctl ran');
        for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `journalctl ${pid} still alive`);
      } finally {
        await client.close().catch(() => undefined);
      }
    });
  }
});
