/**
 * Central redaction: the walker over JSON values (safe fields kept, secret
 * property names and {name, value} pairs redacted whole, copy on change), and
 * through a real in-process server: a tool and a resource that return planted
 * secrets come back redacted in structuredContent, text and resource bodies,
 * with the envelope's `redactions` count.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Catalogue } from '../definitions/types.js';
import { buildServer } from './build.js';
import { createServices } from '../app/create-services.js';
import type { RunningServices } from '../app/create-services.js';
import { defineTool } from '../definitions/types.js';
import type { ResourceDefinition, ToolDefinition } from '../definitions/types.js';
import { REDACTED } from '../redaction/redact.js';
import { countRedacted, redactResourceText, redactValue, SAFE_FIELDS } from './redact-result.js';
import { assertNoPlanted } from '../../test/support/planted.js';

const PLANTED = ['Hunter2Secret', 'pg0PassW0rd', 'AKIAQWERTYUIOPASDFGH', 'EnvV4lueS3cret', 'PairV4lueS3cret'];

describe('redactValue', () => {
  test('redacts every string, keeps safe fields, and copies only what changed', () => {
    const untouched = { a: { b: ['plain', 1, null] } };
    const input = {
      cmdline: 'app --password=Hunter2Secret',
      nested: [{ url: 'postgres://app:pg0PassW0rd@db/x' }, untouched],
      env: { DB_PASSWORD: 'EnvV4lueS3cret', HOME: '/root', LANG: 'C.UTF-8' },
      vars: [{ name: 'API_TOKEN', value: 'PairV4lueS3cret' }, { name: 'PORT', value: '8080' }],
      sha256: 'AKIAQWERTYUIOPASDFGH',
      nextCursor: 'token=abcdefgh12345',
    };
    const r = redactValue(input);
    assert.equal(r.count, 4);
    assert.equal(r.value.sha256, 'AKIAQWERTYUIOPASDFGH', 'safe fields are passed through');
    assert.equal(r.value.nextCursor, 'token=abcdefgh12345');
    assert.equal(r.value.env.DB_PASSWORD, REDACTED);
    assert.equal(r.value.env.HOME, '/root');
    assert.deepEqual(r.value.vars, [{ name: 'API_TOKEN', value: REDACTED }, { name: 'PORT', value: '8080' }]);
    assert.equal(r.value.nested[1], untouched, 'unchanged subtrees are the same objects');
    const { sha256: _s, nextCursor: _c, ...rest } = r.value;
    assertNoPlanted(rest, PLANTED);
    assert.ok(SAFE_FIELDS.has('sha256'));
    assert.equal(countRedacted(r.value), 4);
  });

  test('JSON resource bodies are redacted structurally and keep their layout when nothing changes', () => {
    const clean = JSON.stringify({ a: 1, b: 'x' }, null, 2);
    assert.equal(redactResourceText(clean, 'application/json'), clean);
    const dirty = JSON.stringify({ config: { password: 'Hunter2Secret' } }, null, 2);
    const out = redactResourceText(dirty, 'application/json');
    assert.deepEqual(JSON.parse(out), { config: { password: REDACTED } });
    assert.equal(redactResourceText('token: Hunter2Secret\n', 'text/markdown'), `token: ${REDACTED}\n`);
  });
});

describe('central redaction through a server', () => {
  let services: RunningServices;
  let client: Client;
  const leaky = defineTool({
    name: 'leaky',
    title: 'Leaky',
    description: 'test tool returning planted secrets',
    toolset: 'core',
    input: z.object({}).strict(),
    data: z.object({ lines: z.array(z.string()), env: z.record(z.string(), z.string()) }),
    handler: async () => ({
      data: { lines: ['login ok password=Hunter2Secret', 'db postgres://app:pg0PassW0rd@db/x', 'nothing here'], env: { SECRET_KEY: 'EnvV4lueS3cret' } },
      warnings: ['could not use key AKIAQWERTYUIOPASDFGH'],
    }),
    render: (o) => `${o.data.lines.join('\n')}\n${JSON.stringify(o.data.env)}\n${(o.warnings ?? []).join('\n')}`,
  });
  const failing = defineTool({
    name: 'failing',
    title: 'Failing',
    description: 'test tool whose error names a secret',
    toolset: 'core',
    input: z.object({}).strict(),
    data: z.object({}),
    handler: async () => {
      throw new Error('cannot open postgres://app:pg0PassW0rd@db/x');
    },
    render: () => '',
  });
  const resource: ResourceDefinition = {
    name: 'leaky-resource',
    uri: 'diag://test/leaky',
    title: 'Leaky',
    description: 'test resource',
    mimeType: 'application/json',
    ttlMs: 0,
    read: () => JSON.stringify({ env: [{ key: 'DB_PASSWORD', value: 'PairV4lueS3cret' }], note: 'Authorization: Bearer Hunter2Secret' }, null, 2),
  };

  before(async () => {
    services = createServices({ startSampler: false });
    const catalogue: Catalogue = { tools: [leaky, failing] as unknown as ToolDefinition[], resources: [resource], prompts: [] };
    const server = buildServer({ catalogue, services, toolsets: ['core'], name: 'redact-test', version: '0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    client = new Client({ name: 'redact-test-client', version: '0' });
    await client.connect(b);
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    services?.stop();
  });

  test('tool results: structuredContent, text and warnings are redacted, with the count in the envelope', async () => {
    const result = await client.callTool({ name: 'leaky', arguments: {} });
    assert.ok(!result.isError, JSON.stringify(result));
    assertNoPlanted(result, PLANTED);
    const sc = result.structuredContent as { data: { lines: string[] }; redactions: number };
    assert.equal(sc.redactions, 4);
    assert.equal(sc.data.lines[2], 'nothing here');
    assert.equal(sc.data.lines[0], `login ok password=${REDACTED}`);
  });

  test('error results are redacted too', async () => {
    const result = await client.callTool({ name: 'failing', arguments: {} });
    assert.equal(result.isError, true);
    assertNoPlanted(result, PLANTED);
  });

  test('resource bodies are redacted', async () => {
    const r = await client.readResource({ uri: 'diag://test/leaky' });
    assertNoPlanted(r, PLANTED);
    assert.match(JSON.stringify(r), /\[REDACTED\]/);
  });
});

test('a "__proto__" key in redacted data stays an own key and never becomes the copy\'s prototype', () => {
  const data = JSON.parse('{"__proto__": {"isAdmin": true, "note": "password=hunter2hunter2"}, "plain": "x"}') as Record<string, unknown>;
  const { value, count } = redactValue(data);
  const out = value as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal((out as { isAdmin?: unknown }).isAdmin, undefined);
  assert.ok(Object.prototype.hasOwnProperty.call(out, '__proto__'));
  assert.match(JSON.stringify(out), /"__proto__":\{"isAdmin":true,"note":"password=\[REDACTED\]"\}/);
  assert.equal(count, 1);
});
