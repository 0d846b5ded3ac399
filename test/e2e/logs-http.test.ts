/**
 * search_logs over the real `hostlens serve --toolsets core,logs` (HOSTLENS_JOURNAL_DIRECTORY pointing at
 * journal files built from the export fixture) with the SDK client in both protocol eras: entries,
 * facets and patterns validate against the output schema, no planted secret reaches the client in
 * structuredContent or text, a page cut to the result budget continues with its cursor, an invalid filter is an
 * isError result (not a protocol error); and a hung
 * `journalctl` (a stand-in first in the server's PATH) is killed at its time limit and its process is gone.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions } from '@modelcontextprotocol/client';
import { buildJournal } from '../fixtures/journal/build.js';
import { PLANTED_SECRETS } from '../fixtures/journal/generate.js';
import { killAll, MODERN, spawnHostlens, within } from './helpers.js';

const ERAS: ReadonlyArray<{ name: string; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];
const SINCE = '2026-11-19T00:00:00Z';

async function connect(url: string, name: string, options: ClientOptions): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' }, options);
  await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
  return client;
}

describe('search_logs over Streamable HTTP on real journal files', { timeout: 120_000 }, () => {
  let dir: string;
  let url: string;
  before(async () => {
    dir = buildJournal(mkdtempSync(join(tmpdir(), 'hostlens-logs-http-')));
    ({ url } = await spawnHostlens(['serve', '--port', '0', '--toolsets', 'core,logs'], { env: { HOSTLENS_JOURNAL_DIRECTORY: dir } }).listening());
  });
  after(async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const era of ERAS) {
    test(`${era.name} era: three modes, no secret on the wire, bad filter is isError`, async () => {
      const client = await connect(url, `logs-${era.name}`, era.options);
      try {
        const listed = await client.listTools();
        assert.ok(listed.tools.some((t) => t.name === 'search_logs'));
        for (const mode of ['entries', 'facets', 'patterns']) {
          const r = await within(15_000, mode, client.callTool({ name: 'search_logs', arguments: { since: SINCE, mode, limit: 100 } }));
          assert.ok(!r.isError, JSON.stringify(r.content));
          const sc = r.structuredContent as { data: { available: boolean; totalMatched: number; mode: string } };
          assert.equal(sc.data.available, true);
          assert.equal(sc.data.mode, mode);
          assert.ok(sc.data.totalMatched > 400);
          const wire = JSON.stringify(r);
          for (const secret of PLANTED_SECRETS) assert.ok(!wire.includes(secret), `${mode} leaks ${secret}`);
        }
        // 200 entries do not fit the 24 KiB budget: the server cuts the page and its cursor continues exactly after it
        const big = await client.callTool({ name: 'search_logs', arguments: { since: SINCE, limit: 200 } });
        const first = big.structuredContent as { data: { entries: Array<{ ts: string; message: string }> }; truncated?: { nextCursor?: string } };
        assert.ok(first.data.entries.length > 0 && first.data.entries.length < 200, String(first.data.entries.length));
        assert.ok(first.truncated?.nextCursor);
        const next = await client.callTool({ name: 'search_logs', arguments: { since: SINCE, limit: 200, cursor: first.truncated.nextCursor } });
        const second = (next.structuredContent as { data: { entries: Array<{ ts: string; message: string }> } }).data.entries;
        assert.ok(second.length > 0);
        assert.ok(second[0]!.ts <= first.data.entries.at(-1)!.ts);
        const key = (e: { ts: string; message: string }): string => `${e.ts}|${e.message}`;
        assert.ok(!second.some((e) => first.data.entries.map(key).includes(key(e))));
        const bad = await client.callTool({ name: 'search_logs', arguments: { units: ['nginx.service; reboot'] } });
        assert.equal(bad.isError, true);
        assert.match(JSON.stringify(bad.content), /not a valid unit name/);
      } finally {
        await client.close().catch(() => undefined);
      }
    });
  }
});

describe('a hung journalctl behind the real server', { timeout: 60_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-hung-'));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'journal'));
    writeFileSync(join(dir, 'journal', 'system.journal'), ''); // "a journal is present", so journalctl runs
    writeFileSync(join(dir, 'bin', 'journalctl'), `#!/bin/sh\necho $$ > ${dir}/pid\nexec sleep 60\n`);
    chmodSync(join(dir, 'bin', 'journalctl'), 0o755);
  });
  after(async () => {
    await killAll();
    try {
      process.kill(Number(readFileSync(join(dir, 'pid'), 'utf8')), 'SIGKILL');
    } catch {
      // already gone (what the test asserts)
    }
    rmSync(dir, { recursive: true, force: true });
  });

  // The stand-in sleeps 60 s, three times the call's hang guard: an answer at all proves journalctl was killed, and
  // the warning says it was its time limit that did it, with no timing threshold a loaded machine could cross.
  test('is killed at its time limit; the call answers with a warning, not an error', async (t) => {
    const server = spawnHostlens(['serve', '--port', '0', '--toolsets', 'logs'], {
      env: { HOSTLENS_JOURNAL_DIRECTORY: join(dir, 'journal'), PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    });
    const { url } = await server.listening();
    const client = await connect(url, 'logs-hung', {});
    try {
      const t0 = performance.now();
      const r = await within(20_000, 'search_logs', client.callTool({ name: 'search_logs', arguments: {} }));
      t.diagnostic(`search_logs answered after ${Math.round(performance.now() - t0)} ms (journalctl time limit 5 s)`);
      assert.ok(!r.isError, JSON.stringify(r.content));
      const sc = r.structuredContent as { data: { totalMatched: number }; warnings?: string[] };
      assert.equal(sc.data.totalMatched, 0);
      assert.ok(sc.warnings?.some((w) => /journalctl was killed after its time limit/.test(w)), JSON.stringify(sc.warnings));
      const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      assert.throws(() => process.kill(pid, 0), /ESRCH/);
    } finally {
      await client.close().catch(() => undefined);
    }
  });
});
