/**
 * read_log_file, get_config and diag://local/config/{+path} over the real `hostlens serve` (Streamable HTTP, both
 * protocol eras): against a copy of test/fixtures/files/host (--root) the results validate, refusals are isError
 * tool results and resource-not-found, completion offers config paths, and no planted secret reaches the client;
 * against the live root, /var/log/dpkg.log (written by every apt run, so present in CI) tails and /etc/hostname
 * hashes to the sha256 of its bytes (nothing in it is redacted), while /etc/shadow is denied.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions } from '@modelcontextprotocol/client';
import { PLANTED, makeFileTree } from '../fixtures/files/tree.js';
import type { FileTree } from '../fixtures/files/tree.js';
import { killAll, MODERN, spawnHostlens, within } from './helpers.js';

const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];

interface Envelope {
  data: Record<string, any>;
  redactions?: number;
  warnings?: string[];
}

async function connect(url: string, name: string, options: ClientOptions): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' }, options);
  await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
  return client;
}

describe('allow-listed files over Streamable HTTP', { timeout: 120_000 }, () => {
  let tree: FileTree;
  let fixtureUrl: string;
  let liveUrl: string;
  const seen: string[] = [];

  before(async () => {
    tree = makeFileTree();
    const env = { HOSTLENS_CONFIG_FILES: '/etc/**,/home/**', HOSTLENS_LOG_FILES: '/var/log/*.log,/var/log/syslog' };
    ({ url: fixtureUrl } = await spawnHostlens(['serve', '--port', '0', '--root', tree.root, '--toolsets', 'core,logs,config'], { env }).listening());
    ({ url: liveUrl } = await spawnHostlens(['serve', '--port', '0', '--toolsets', 'core,logs,config']).listening());
  });
  after(async () => {
    await killAll();
    tree?.cleanup();
  });

  for (const era of ERAS) {
    describe(`${era.name} era, fixture root`, () => {
      let client: Client;
      before(async () => {
        client = await connect(fixtureUrl, `files-${era.name}`, era.options);
      });
      after(async () => {
        await client?.close().catch(() => undefined);
      });
      const call = async (name: string, args: Record<string, unknown>) => {
        const r = await within(20_000, name, client.callTool({ name, arguments: args }));
        seen.push(JSON.stringify(r));
        return r;
      };

      test('get_config redacts and reports where; read_log_file tails with rotations', async () => {
        const cfg = await call('get_config', { path: '/etc/app/app.env' });
        assert.notEqual(cfg.isError, true, JSON.stringify(cfg.content));
        const d = (cfg.structuredContent as unknown as Envelope).data;
        assert.equal(d.sha256, null, 'values were redacted: no digest to brute-force them from');
        assert.equal(d.sizeExact, false);
        assert.deepEqual(d.redactions.map((r: { line: number }) => r.line), [3, 4]);
        assert.match(d.content, /LISTEN_PORT=8080/);
        const log = await call('read_log_file', { path: '/var/log/app.log', grep: 'error', includeRotated: true });
        assert.notEqual(log.isError, true, JSON.stringify(log.content));
        const l = (log.structuredContent as unknown as Envelope).data;
        assert.deepEqual(l.lines.map((x: { file: string }) => x.file), ['/var/log/app.log.2.gz', '/var/log/app.log', '/var/log/app.log']);
        assert.equal(l.matchedCount, 3);
      });
      test('refusals are tool errors naming the rule', async () => {
        const cases: Array<[string, Record<string, unknown>, RegExp]> = [
          ['get_config', { path: '/etc/shadow' }, /denied: password hashes/],
          ['get_config', { path: '/home/alice/.ssh/id_ed25519' }, /denied: ssh directory/],
          ['get_config', { path: '/etc/app/key-link.conf' }, /^refused: a symlink in the path/],
          ['get_config', { path: '/etc/../var/log/app.log' }, /not in configFiles allow-list/],
          ['read_log_file', { path: '/var/log/evil.log' }, /^refused: a symlink in the path/],
          ['read_log_file', { path: '/var/log/nope.log' }, /not found/],
        ];
        for (const [name, args, re] of cases) {
          const r = await call(name, args);
          assert.equal(r.isError, true, `${name} ${JSON.stringify(args)}`);
          assert.match((r.content as Array<{ text: string }>)[0]!.text, re);
        }
      });
      test('the config template reads, completes and refuses', async () => {
        const r = await client.readResource({ uri: 'diag://local/config/etc/app/app.yaml' });
        seen.push(JSON.stringify(r));
        const body = JSON.parse((r.contents[0] as { text: string }).text);
        assert.equal(body.path, '/etc/app/app.yaml');
        assert.deepEqual(body.redactions.map((x: { line: number }) => x.line), [8, 10]);
        const done = await client.complete({ ref: { type: 'ref/resource', uri: 'diag://local/config/{+path}' }, argument: { name: 'path', value: 'etc/ng' } });
        assert.deepEqual(done.completion.values, ['etc/nginx/nginx.conf']);
        const listed = await client.listResources();
        assert.deepEqual(listed.resources.filter((x) => x.uri.startsWith('diag://local/config/')).map((x) => x.uri), ['diag://local/config/etc/nginx/nginx.conf']);
        await assert.rejects(client.readResource({ uri: 'diag://local/config/etc/shadow' }), /denied: password hashes/);
        await assert.rejects(client.readResource({ uri: 'diag://local/config/etc/nope.conf' }), /not found/);
      });
      test('no planted secret reached the client', () => {
        const all = seen.join('\n');
        for (const p of PLANTED) assert.ok(!all.includes(p), `planted ${p} leaked`);
      });
    });
  }

  describe('live root', () => {
    let client: Client;
    before(async () => {
      client = await connect(liveUrl, 'files-live', {});
    });
    after(async () => {
      await client?.close().catch(() => undefined);
    });
    test('/var/log/dpkg.log tails, /etc/hostname hashes, /etc/shadow is denied', async () => {
      assert.ok(existsSync('/var/log/dpkg.log'), 'dpkg.log exists on any Debian machine that ran apt (.ci/run does)');
      const log = await client.callTool({ name: 'read_log_file', arguments: { path: '/var/log/dpkg.log', lines: 5, grep: 'status' } });
      assert.notEqual(log.isError, true, JSON.stringify(log.content));
      const l = (log.structuredContent as unknown as Envelope).data;
      assert.ok(l.lines.length > 0 && l.lines.length <= 5);
      assert.match(l.lines.at(-1).ts, /^\d{4}-\d{2}-\d{2}T/);
      const cfg = await client.callTool({ name: 'get_config', arguments: { path: '/etc/hostname' } });
      assert.notEqual(cfg.isError, true, JSON.stringify(cfg.content));
      assert.equal((cfg.structuredContent as unknown as Envelope).data.sha256, createHash('sha256').update(readFileSync('/etc/hostname')).digest('hex'));
      const shadow = await client.callTool({ name: 'get_config', arguments: { path: '/etc/shadow' } });
      assert.equal(shadow.isError, true);
      assert.match((shadow.content as Array<{ text: string }>)[0]!.text, /denied: password hashes/);
    });
  });
});
