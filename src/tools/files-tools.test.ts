/**
 * read_log_file, get_config and diag://local/config/{+path} through a real SDK client (in-process transport)
 * over the fixture tree test/fixtures/files/host: results validate, refusals are isError tool results (or
 * resource-not-found) naming the rule, sha256 only when nothing was redacted, redactions carry line and kind but never the
 * value, and no planted secret appears anywhere in any result.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { PLANTED, makeFileTree, writeHugeLog } from '../../test/fixtures/files/tree.js';
import type { FileTree } from '../../test/fixtures/files/tree.js';
import type { ResourceTemplateDefinition, ToolDefinition } from '../definitions/types.js';
import { configTemplate } from '../resources/config-file.js';
import type { Catalogue } from '../definitions/types.js';
import { buildServer } from '../server/build.js';
import { createServices } from '../app/create-services.js';
import type { RunningServices } from '../app/create-services.js';
import { getConfig } from './get-config.js';
import { readLogFileTool } from './read-log-file.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: Array<{ type: string; text?: string }>;
}

describe('read_log_file, get_config and the config template over a fixture root', () => {
  let tree: FileTree;
  let services: RunningServices;
  let client: Client;
  const seen: string[] = [];
  const catalogue: Catalogue = {
    tools: [readLogFileTool, getConfig] as unknown as ToolDefinition[],
    resources: [],
    templates: [configTemplate as ResourceTemplateDefinition],
    prompts: [],
  };
  const call = async (name: string, args: Record<string, unknown>): Promise<Result> => {
    const r = (await client.callTool({ name, arguments: args })) as unknown as Result;
    seen.push(JSON.stringify(r));
    return r;
  };
  const ok = async (name: string, args: Record<string, unknown>) => {
    const r = await call(name, args);
    assert.notEqual(r.isError, true, JSON.stringify(r.content));
    return r.structuredContent as { data: Record<string, any>; warnings?: string[]; truncated?: { returned: number; total: number } };
  };
  const refused = async (name: string, args: Record<string, unknown>): Promise<string> => {
    const r = await call(name, args);
    assert.equal(r.isError, true, `expected a tool error for ${JSON.stringify(args)}`);
    return r.content[0]?.text ?? '';
  };

  before(async () => {
    tree = makeFileTree();
    services = createServices({
      root: tree.root,
      startSampler: false,
      changeWatch: false,
      logFiles: ['/var/log/*.log', '/var/log/*/*.log', '/var/log/syslog'],
      configFiles: ['/etc/**', '/home/**', '/proc/**'],
    });
    const server = buildServer({ catalogue, services, toolsets: ['core', 'logs', 'config'], name: 'files-test', version: '0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    client = new Client({ name: 'files-test-client', version: '0' });
    await client.connect(b);
  });
  after(async () => {
    await client.close().catch(() => undefined);
    services.stop();
    tree.cleanup();
  });

  test('get_config: redactions by line and kind, no value; no digest and a rounded size beside redacted content', async () => {
    const env = await ok('get_config', { path: '/etc/app/app.yaml' });
    const raw = readFileSync(join(tree.root, 'etc/app/app.yaml'));
    const d = env.data;
    assert.equal(d.sha256, null, 'a digest of redacted content could be brute-forced');
    assert.equal(d.sizeExact, false);
    assert.equal(d.sizeBytes, Math.ceil(raw.length / 1024) * 1024);
    assert.match(d.mtime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.deepEqual(d.redactions.map((r: { line: number }) => r.line), [8, 10]);
    for (const r of d.redactions) assert.deepEqual(Object.keys(r).sort(), ['count', 'kind', 'line']);
    assert.equal(d.redactions[0].kind, 'key_value');
    assert.equal(d.redactionCount, 2);
    assert.match(d.content, /port: 8080/, 'settings stay');
    assert.match(d.content, /password: \[REDACTED\]/);
    assert.equal(d.content.split('\n').length, raw.toString().trimEnd().split('\n').length, 'line numbers stay valid');
  });
  test('get_config: env, INI and URL userinfo secrets are redacted; --port style settings stay', async () => {
    const env = await ok('get_config', { path: '/etc/app/app.env' });
    assert.deepEqual(env.data.redactions.map((r: { line: number }) => r.line), [3, 4]);
    assert.match(env.data.content, /LISTEN_PORT=8080/);
    const ini = await ok('get_config', { path: '/etc/app/app.ini' });
    assert.deepEqual(ini.data.redactions.map((r: { line: number }) => r.line), [6]);
    assert.match(ini.data.content, /port = 8080/);
    const nginx = await ok('get_config', { path: '/etc/nginx/nginx.conf' });
    assert.equal(nginx.data.redactionCount, 0);
    const raw = readFileSync(join(tree.root, 'etc/nginx/nginx.conf'));
    assert.equal(nginx.data.sha256, createHash('sha256').update(raw).digest('hex'), 'nothing redacted: the digest is given');
    assert.equal(nginx.data.sizeBytes, raw.length);
    assert.equal(nginx.data.sizeExact, true);
    assert.equal(nginx.data.content, readFileSync(join(tree.root, 'etc/nginx/nginx.conf'), 'utf8').trimEnd());
  });
  test('get_config: denied, escaping, binary and missing files are clear tool errors', async () => {
    assert.match(await refused('get_config', { path: '/etc/shadow' }), /denied: password hashes/);
    assert.match(await refused('get_config', { path: '/etc/ssl/private/server.key' }), /denied: private key/);
    assert.match(await refused('get_config', { path: '/etc/app/tls.pem' }), /denied: private key/);
    assert.match(await refused('get_config', { path: '/etc/app/inline-key.conf' }), /denied: private key/);
    assert.match(await refused('get_config', { path: '/home/alice/.ssh/config' }), /denied: ssh directory/);
    assert.match(await refused('get_config', { path: '/proc/1/environ' }), /denied: process environment/);
    assert.match(await refused('get_config', { path: '/etc/app/log-link.conf' }), /^refused: a symlink in the path/);
    assert.match(await refused('get_config', { path: '/var/log/app.log' }), /not in configFiles allow-list/);
    assert.match(await refused('get_config', { path: '/etc/app/blob.bin' }), /binary file/);
    assert.match(await refused('get_config', { path: '/etc/nope.conf' }), /not found/);
    assert.match(await refused('get_config', { path: 'etc/hostname' }), /absolute/);
  });
  test('get_config: a private key after the first 4 KiB is masked line for line (kind pem), line numbers kept', async () => {
    const { writeFileSync } = await import('node:fs');
    const filler = Array.from({ length: 400 }, (_, i) => `setting_${i} = ${i}`);
    const pem = ['-----BEGIN PRIVATE KEY-----', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjPlantedLateKeyA', 'PlantedLateKeyB0000000000000000000000000000000000000000', '-----END PRIVATE KEY-----'];
    writeFileSync(join(tree.root, 'etc/app/late-key.conf'), [...filler, ...pem, 'after = 1', ''].join('\n'));
    PLANTED.push('PlantedLateKeyA', 'PlantedLateKeyB');
    const env = await ok('get_config', { path: '/etc/app/late-key.conf' });
    // One redaction per [REDACTED] body line shown (the BEGIN and END lines stay, naming the key type only).
    assert.deepEqual(env.data.redactions, [
      { line: 402, kind: 'pem', count: 1 },
      { line: 403, kind: 'pem', count: 1 },
    ]);
    assert.equal(env.data.lines.total, 405);
    const lines = env.data.content.split('\n');
    assert.equal(lines[401], '[REDACTED]');
    assert.equal(lines[404], 'after = 1');
  });
  test('get_config: a file larger than the budget is clipped and continues with fromLine', async () => {
    const { writeFileSync } = await import('node:fs');
    const body = Array.from({ length: 3000 }, (_, i) => (i === 2500 ? 'token = PlantedLateToken55' : `option_${i} = value ${i}`)).join('\n');
    writeFileSync(join(tree.root, 'etc/app/big.conf'), `${body}\n`);
    const first = await ok('get_config', { path: '/etc/app/big.conf' });
    assert.equal(first.data.lines.from, 1);
    assert.ok(first.data.lines.to < 3000 && first.data.lines.to > 100, JSON.stringify(first.data.lines));
    assert.match(first.data.content, /…\[\+\d+ chars\]$/);
    assert.ok(first.warnings?.some((w) => w.includes(`fromLine ${first.data.lines.to + 1}`)));
    assert.deepEqual(first.data.redactions.map((r: { line: number }) => r.line), [2501], 'redactions cover the whole file read');
    let next = first;
    while (next.data.lines.to < 3000) next = await ok('get_config', { path: '/etc/app/big.conf', fromLine: next.data.lines.to + 1 });
    assert.match(next.data.content, /option_2999 = value 2999$/);
    PLANTED.push('PlantedLateToken55');
  });
  test('get_config: over 1 MiB only the head is read and redacted, and no sha256 (bytes past the head were never checked)', async () => {
    const { writeFileSync } = await import('node:fs');
    const body = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `key_${i} = value_${i}\n`).join(''));
    assert.ok(body.length > 1024 * 1024);
    writeFileSync(join(tree.root, 'etc/app/huge.conf'), body);
    const env = await ok('get_config', { path: '/etc/app/huge.conf' });
    assert.equal(env.data.readTruncated, true);
    assert.equal(env.data.sha256, null);
    assert.ok(env.data.lines.total < 60_000 && env.data.lines.total > 40_000, String(env.data.lines.total));
    assert.ok(env.warnings?.some((w) => w.includes('only the first 1048576')));
  });
  test('read_log_file: tail, grep, since and rotations; lines redacted', async () => {
    const tail = await ok('read_log_file', { path: '/var/log/app.log', lines: 2 });
    assert.deepEqual(tail.data.lines.map((l: { n: number }) => l.n), [6, 7]);
    assert.deepEqual(tail.truncated, { returned: 2, total: 7 });
    assert.equal(tail.data.matchedExact, true);
    const all = await ok('read_log_file', { path: '/var/log/app.log' });
    assert.equal(all.data.redactionCount, 1);
    assert.match(all.data.lines[4].text, /password=\[REDACTED\]/);
    assert.match(all.data.lines[5].text, /--port 8080/, 'not over-redacted');
    const grep = await ok('read_log_file', { path: '/var/log/app.log', grep: 'error', includeRotated: true });
    assert.deepEqual(grep.data.lines.map((l: { file: string; n: number }) => `${l.file}:${l.n}`), ['/var/log/app.log.2.gz:2', '/var/log/app.log:2', '/var/log/app.log:7']);
    // syslog times carry no zone: they are local time in the server's TZ.
    const local = (h: number, m: number) => new Date(2026, 10, 24, h, m, 0).toISOString().replace('.000Z', 'Z');
    const since = await ok('read_log_file', { path: '/var/log/syslog', since: local(9, 5) });
    assert.deepEqual(since.data.lines.map((l: { ts: string }) => l.ts), [local(9, 5), local(9, 15)]);
    const nginx = await ok('read_log_file', { path: '/var/log/nginx/access.log', grep: '/ADMIN' });
    assert.equal(nginx.data.lines[0].ts, '2026-11-24T09:50:00Z');
  });
  test('read_log_file: refusals and bad arguments are tool errors', async () => {
    assert.match(await refused('read_log_file', { path: '/var/log/evil.log' }), /^refused: a symlink in the path/);
    assert.match(await refused('read_log_file', { path: '/etc/nginx/nginx.conf' }), /not in logFiles allow-list/);
    assert.match(await refused('read_log_file', { path: '/var/log/missing.log' }), /not found/);
    assert.match(await refused('read_log_file', { path: '/var/log/app.log', since: 'yesterday' }), /not a time/);
    const r = await call('read_log_file', { path: '/var/log/app.log', lines: 5000 });
    assert.equal(r.isError, true);
  });
  test('read_log_file: a 50 MB log answers within the budget, newest lines kept', async () => {
    const count = writeHugeLog(join(tree.root, 'var/log/huge.log'), 50 * 1024 * 1024, Date.now());
    const t0 = performance.now();
    const env = await ok('read_log_file', { path: '/var/log/huge.log', lines: 1000 });
    const ms = performance.now() - t0;
    const bytes = Buffer.byteLength(JSON.stringify(env));
    assert.ok(bytes <= services.limits.maxResultBytes, `${bytes} bytes`);
    assert.match(env.data.lines.at(-1).text, new RegExp(`request ${count - 1} `));
    assert.equal(env.data.matchedExact, false);
    assert.ok(env.warnings?.some((w) => w.includes('older line(s) left out')));
    assert.ok(env.data.filesRead[0].scannedBytes <= 8 * 1024 * 1024 + 65536);
    console.log(`read_log_file 50 MiB, lines 1000: ${ms.toFixed(0)} ms, ${env.data.lines.length} lines in ${bytes} bytes, scanned ${env.data.filesRead[0].scannedBytes} bytes`);
  });
  test('config template: reads over the SDK, lists well-known files, refusals are resource-not-found', async () => {
    const r = await client.readResource({ uri: 'diag://local/config/etc/app/app.yaml' });
    const body = JSON.parse((r.contents[0] as { text: string }).text);
    seen.push(JSON.stringify(r));
    assert.equal(body.path, '/etc/app/app.yaml');
    assert.equal(body.redactionCount, 2);
    const templates = await client.listResourceTemplates();
    assert.ok(templates.resourceTemplates.some((t) => t.uriTemplate === 'diag://local/config/{+path}'));
    const listed = await client.listResources();
    assert.ok(listed.resources.length <= 50);
    for (const u of ['diag://local/config/etc/shadow', 'diag://local/config/etc/app/tls.pem', 'diag://local/config/etc/nope', 'diag://local/config/var/log/app.log', 'diag://local/config/etc/%2e%2e/etc/shadow']) {
      await assert.rejects(client.readResource({ uri: u }), (e: Error) => {
        seen.push(e.message);
        return /not found|denied|allow-list/i.test(e.message);
      }, u);
    }
  });
  test('no planted secret appears in any result of this suite', () => {
    const all = seen.join('\n');
    assert.ok(seen.length > 20);
    for (const p of PLANTED) assert.ok(!all.includes(p), `planted value ${p} leaked`);
  });
});
