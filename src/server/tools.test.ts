/**
 * In-process: a server built with a tiny maxResultBytes over a generated
 * /proc/sys tree pages a long list to the end through cursors (each key
 * exactly once, every result within the budget); foreign and garbage cursors
 * are tool errors naming the cursor; the shared tool table answers the same
 * to every server built from it; the `host` argument is published and checked
 * by the server for every tool, before its handler runs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, ProtocolError } from '@modelcontextprotocol/server';
import type { Catalogue } from '../definitions/types.js';
import { buildServer } from './build.js';
import { createServices } from '../app/create-services.js';
import type { RunningServices } from '../app/create-services.js';
import { getSysctl } from '../tools/get-sysctl.js';
import type { ToolDefinition } from '../definitions/types.js';
import { jsonBytes } from './budget.js';
import { exampleArgs } from '../../test/support/tool-examples.js';
import { productCatalogue } from '../catalogue/index.js';
import { TOOLSETS } from '../contracts/scopes.js';

const KEYS = 300;
const MAX_BYTES = 4096;

interface SysctlEnvelope {
  data: { values: Array<{ key: string; value: string | number }> };
  truncated?: { returned: number; total: number; nextCursor?: string };
  warnings?: string[];
}

describe('result budget and paging, in process', () => {
  let root: string;
  let services: RunningServices;
  const catalogue: Catalogue = { tools: [getSysctl] as unknown as ToolDefinition[], resources: [], prompts: [] };
  const clients: Client[] = [];

  async function connect(toolsets: Array<'core' | 'config'> = ['core', 'config']): Promise<Client> {
    const server = buildServer({ catalogue, services, toolsets, name: 'budget-test', version: '0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'budget-test-client', version: '0' });
    await client.connect(b);
    clients.push(client);
    return client;
  }

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hostlens-budget-'));
    const dir = join(root, 'proc/sys/fake');
    mkdirSync(dir, { recursive: true });
    // Values of varied length so that pages cut by the budget have varied sizes.
    for (let i = 0; i < KEYS; i++) writeFileSync(join(dir, `key_${String(i).padStart(3, '0')}`), i % 7 === 0 ? `${'word '.repeat(i % 40)}end\n` : `${i}\n`);
    services = createServices({ root, maxResultBytes: MAX_BYTES, startSampler: false });
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    services.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('a long list pages to the end through cursors: every key exactly once, each result within maxResultBytes', async () => {
    const client = await connect();
    const seen: string[] = [];
    let cursor: string | undefined;
    let calls = 0;
    let cutByBudget = 0;
    do {
      const r = await client.callTool({ name: 'get_sysctl', arguments: { prefix: 'fake.', ...(cursor ? { cursor } : {}) } });
      calls++;
      assert.notEqual(r.isError, true, JSON.stringify(r.content));
      const env = r.structuredContent as unknown as SysctlEnvelope;
      assert.ok(jsonBytes(env) <= MAX_BYTES, `call ${calls}: ${jsonBytes(env)} bytes`);
      const text = (r.content as Array<{ type: string; text?: string }>)[0]?.text ?? '';
      assert.ok(Buffer.byteLength(text) <= MAX_BYTES, 'the text rendering stays within the budget too');
      assert.ok(env.data.values.length > 0, 'every page makes progress');
      if (env.warnings?.some((w) => w.includes('maxResultBytes'))) cutByBudget++;
      seen.push(...env.data.values.map((v) => v.key));
      cursor = env.truncated?.nextCursor;
      if (cursor) assert.equal(env.truncated?.total, KEYS);
      if (cursor) assert.ok(text.includes(`cursor "${cursor}"`), 'the text tells a content-only client how to continue');
      assert.ok(calls < 100, 'terminates');
    } while (cursor);
    assert.ok(calls > 2, `${calls} pages`);
    assert.ok(cutByBudget > 0, 'the budget, not only the limit, cut some pages');
    const expected = Array.from({ length: KEYS }, (_, i) => `fake.key_${String(i).padStart(3, '0')}`);
    assert.deepEqual(seen, expected);
  });

  test('a cursor with a smaller limit pages by the limit and by the budget alike', async () => {
    const client = await connect();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 200; i++) {
      const r = await client.callTool({ name: 'get_sysctl', arguments: { prefix: 'fake.key_1', limit: 7, ...(cursor ? { cursor } : {}) } });
      const env = r.structuredContent as unknown as SysctlEnvelope;
      assert.ok(env.data.values.length <= 7);
      seen.push(...env.data.values.map((v) => v.key));
      cursor = env.truncated?.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => `fake.key_${100 + i}`));
  });

  test('a cursor from another query, or garbage, is a tool error naming the cursor', async () => {
    const client = await connect();
    const first = await client.callTool({ name: 'get_sysctl', arguments: { prefix: 'fake.' } });
    const cursor = (first.structuredContent as unknown as SysctlEnvelope).truncated?.nextCursor;
    assert.ok(cursor);
    for (const args of [
      { prefix: 'fake.key_2', cursor },
      { prefix: 'fake.', limit: 10, cursor },
      { prefix: 'fake.', cursor: 'not a cursor!' },
      { prefix: 'fake.', cursor: Buffer.from('{"o":-1,"q":"x"}').toString('base64url') },
    ]) {
      const r = await client.callTool({ name: 'get_sysctl', arguments: args });
      assert.equal(r.isError, true, JSON.stringify(args));
      assert.match((r.content as Array<{ text: string }>)[0]!.text, /cursor/);
    }
  });

  test('invalid arguments are an isError result naming the field; unknown and disabled tools are -32602', async () => {
    const client = await connect(['core']);
    const bad = await connect();
    const r = await bad.callTool({ name: 'get_sysctl', arguments: { prefix: 'fake.', limit: 999 } });
    assert.equal(r.isError, true);
    assert.match((r.content as Array<{ text: string }>)[0]!.text, /Input validation error.*limit/s);
    await assert.rejects(client.callTool({ name: 'get_sysctl', arguments: { prefix: 'fake.' } }), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal((e as ProtocolError).code, -32602);
      assert.match(e.message, /"config" toolset.*--toolsets core,config/);
      return true;
    });
    await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), (e: unknown) => (e as ProtocolError).code === -32602 && /not found/.test((e as Error).message));
  });

  test('servers built from the same catalogue share one tool listing', async () => {
    const a = await connect();
    const b = await connect();
    const [la, lb] = [await a.listTools(), await b.listTools()];
    assert.deepEqual(la.tools, lb.tools);
    const tool = la.tools.find((t) => t.name === 'get_sysctl');
    assert.ok(tool?.outputSchema && tool.inputSchema.properties && 'cursor' in tool.inputSchema.properties);
    assert.equal(tool.annotations?.readOnlyHint, true);
    const core = await connect(['core']);
    assert.equal((await core.listTools()).tools.length, 0, 'get_sysctl is config-only');
  });
});

describe('tool errors are redacted like results', () => {
  test('an input validation message that echoes an argument never carries its secret', async () => {
    const { z } = await import('zod');
    const { defineTool } = await import('../definitions/types.js');
    const echoing = defineTool({
      name: 'echoing_check',
      title: 'test',
      description: 'a tool whose validation message quotes its input',
      toolset: 'core',
      input: z.object({ dsn: z.string().refine(() => false, { error: (issue) => `cannot use ${String(issue.input)}` }) }).strict(),
      data: z.object({}),
      handler: async () => ({ data: {} }),
      render: () => '',
    });
    const root = mkdtempSync(join(tmpdir(), 'hostlens-tool-errors-'));
    const services = createServices({ root, startSampler: false, changeWatch: false });
    try {
      const server = buildServer({ catalogue: { tools: [echoing] as unknown as ToolDefinition[], resources: [], prompts: [] }, services, toolsets: ['core'], name: 't', version: '0' });
      const [a, b] = InMemoryTransport.createLinkedPair();
      await server.connect(a);
      const client = new Client({ name: 't', version: '0' });
      await client.connect(b);
      const r = await client.callTool({ name: 'echoing_check', arguments: { dsn: 'postgres://app:Hunter2SecretXy9@db/app' } });
      const text = JSON.stringify(r.content);
      assert.equal(r.isError, true);
      assert.match(text, /cannot use postgres:\/\/app:\[REDACTED\]@db/, 'the message is kept, only the value is replaced');
      assert.doesNotMatch(text, /Hunter2SecretXy9/);
      await client.close();
    } finally {
      services.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the host argument: published for every tool, checked once by the server', () => {
  let services: RunningServices;
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hostlens-host-arg-'));
    services = createServices({ root, startSampler: false, changeWatch: false });
  });
  after(() => {
    services.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function clientFor(catalogue: Catalogue): Promise<Client> {
    const server = buildServer({ catalogue, services, toolsets: [...TOOLSETS], name: 'host-arg', version: '0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'host-arg', version: '0' });
    await client.connect(b);
    return client;
  }

  test('every tool of the catalogue lists an optional host of at most 128 characters, though no definition declares one', async () => {
    const client = await clientFor({ tools: productCatalogue.tools, resources: [], prompts: [] });
    const { tools } = await client.listTools();
    assert.equal(tools.length, productCatalogue.tools.length);
    for (const t of tools) {
      const host = (t.inputSchema.properties as Record<string, { type?: string; maxLength?: number; description?: string }>).host;
      assert.deepEqual([host?.type, host?.maxLength], ['string', 128], `${t.name} publishes host`);
      assert.equal(host?.description, undefined, `${t.name}: host is explained once, in the server instructions`);
      assert.ok(!(t.inputSchema.required ?? []).includes('host'), `${t.name}: host is optional`);
      assert.ok(!('host' in (productCatalogue.tools.find((d) => d.name === t.name)?.input.shape ?? {})), `${t.name}: the definition leaves host to the server`);
    }
    await client.close();
  });

  test('every tool of the catalogue, called with its example and another host, answers the same tool error', async () => {
    const client = await clientFor({ tools: productCatalogue.tools, resources: [], prompts: [] });
    for (const def of productCatalogue.tools) {
      const r = await client.callTool({ name: def.name, arguments: { ...exampleArgs(def, { serverPid: process.pid }), host: 'elsewhere' } });
      assert.deepEqual([r.isError, r.content], [true, [{ type: 'text', text: 'unknown host "elsewhere": only "local" is available' }]], def.name);
    }
    await client.close();
  });

  test('another host is the same tool error for any tool and its handler never runs; "local" and no host reach it without host', async () => {
    const { z } = await import('zod');
    const { defineTool } = await import('../definitions/types.js');
    const seen: unknown[] = [];
    const spy = defineTool({
      name: 'host_spy',
      title: 'test',
      description: 'records the arguments its handler gets',
      toolset: 'core',
      input: z.object({ n: z.number().optional() }).strict(),
      data: z.object({}),
      handler: async (args) => {
        seen.push(args);
        return { data: {} };
      },
      render: () => '',
    });
    const client = await clientFor({ tools: [spy] as unknown as ToolDefinition[], resources: [], prompts: [] });
    const other = await client.callTool({ name: 'host_spy', arguments: { host: 'elsewhere', n: 1 } });
    assert.equal(other.isError, true);
    assert.deepEqual(other.content, [{ type: 'text', text: 'unknown host "elsewhere": only "local" is available' }]);
    assert.deepEqual(seen, [], 'the handler did not run');
    const long = await client.callTool({ name: 'host_spy', arguments: { host: 'x'.repeat(129) } });
    assert.match((long.content as Array<{ text: string }>)[0]!.text, /Input validation error.*host/s);
    for (const args of [{ host: 'local', n: 2 }, { n: 3 }]) assert.notEqual((await client.callTool({ name: 'host_spy', arguments: args })).isError, true);
    assert.deepEqual(seen, [{ n: 2 }, { n: 3 }], 'handlers get their own arguments only');
    await client.close();
  });
});
