/**
 * recent_changes behind the real `hostlens serve --root <tmp>` (core toolset), in both protocol eras: a fixture
 * host (test/fixtures/hosts/busy) plus dpkg.log / apt history.log in the exact Debian format, dated minutes ago
 * (host local time = the server's TZ, pinned to UTC here), with a proxy password planted in an apt command
 * line. The tool lists the package changes newest first with the apt command line redacted (the envelope counts
 * it); a `since` beyond 30 days and an unknown host are clear tool errors (isError), not protocol failures.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions } from '@modelcontextprotocol/client';
import { killAll, MODERN, repoRoot, spawnHostlens, within } from './helpers.js';

const PLANTED = 'pr0xyS3cretE2E';
const ERAS: ReadonlyArray<{ name: string; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];

/** "YYYY-MM-DD HH:MM:SS" in UTC, msAgo before now; apt writes two spaces between date and time. */
const at = (msAgo: number, sep = ' ') => new Date(Date.now() - msAgo).toISOString().slice(0, 19).replace('T', sep);

describe('recent_changes over Streamable HTTP', { timeout: 90_000 }, () => {
  let root: string;
  let url: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'hostlens-changes-e2e-'));
    cpSync(join(repoRoot, 'test/fixtures/hosts/busy'), root, { recursive: true, verbatim: true } as never);
    mkdirSync(join(root, 'var/log/apt'), { recursive: true });
    writeFileSync(
      join(root, 'var/log/dpkg.log'),
      [
        `${at(300_000)} startup archives unpack`,
        `${at(300_000)} install nginx:amd64 <none> 1.22.1-9`,
        `${at(300_000)} status installed nginx:amd64 1.22.1-9`,
        `${at(120_000)} upgrade libssl3:amd64 3.0.11-1~deb12u1 3.0.11-1~deb12u2`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(root, 'var/log/apt/history.log'),
      `\nStart-Date: ${at(301_000, '  ')}\nCommandline: apt-get install -o Acquire::http::Proxy=http://ops:${PLANTED}@proxy:3128 nginx\nInstall: nginx:amd64 (1.22.1-9)\nEnd-Date: ${at(299_000, '  ')}\n`,
    );
    ({ url } = await spawnHostlens(['serve', '--port', '0', '--root', root], { env: { TZ: 'UTC' } }).listening());
  });
  after(async () => {
    await killAll();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  for (const era of ERAS) {
    test(`${era.name} era: package changes newest first, the planted password redacted and counted; bad since / host are isError`, async () => {
      const client = new Client({ name: `changes-${era.name}`, version: '1.0.0' }, era.options);
      await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
      try {
        const r = await within(20_000, 'recent_changes', client.callTool({ name: 'recent_changes', arguments: { since: '-1h', kinds: ['package'] } }));
        assert.ok(!r.isError, JSON.stringify(r.content));
        assert.ok(!JSON.stringify(r).includes(PLANTED), 'planted password leaked');
        const sc = r.structuredContent as { data: { changes: Array<{ kind: string; action: string; subject: string; detail: string }>; sources: Record<string, string> }; redactions: number };
        assert.deepEqual(sc.data.changes.map((c) => `${c.action} ${c.subject}`), ['upgrade libssl3:amd64', 'install nginx:amd64']);
        assert.match(sc.data.changes[1]!.detail, /^installed 1\.22\.1-9; via "apt-get install -o Acquire::http::Proxy=http:\/\/ops:\[REDACTED\]@proxy:3128 nginx"$/);
        assert.deepEqual(sc.data.sources, { package: 'ok' });
        assert.ok(sc.redactions >= 1, `envelope redactions ${sc.redactions}`);
        const text = (r.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
        assert.match(text, /2 change\(s\) since/);

        const old = await within(10_000, 'since -90d', client.callTool({ name: 'recent_changes', arguments: { since: '-90d' } }));
        assert.equal(old.isError, true);
        assert.match(JSON.stringify(old.content), /more than 30 days ago/);
        const host = await within(10_000, 'host', client.callTool({ name: 'recent_changes', arguments: { host: 'db-7' } }));
        assert.equal(host.isError, true);
        assert.match(JSON.stringify(host.content), /unknown host/);
      } finally {
        await client.close().catch(() => undefined);
      }
    });
  }
});
