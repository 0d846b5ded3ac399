/**
 * Toolsets over real HTTP in both eras: tools/list shows only the enabled
 * toolsets; a tool of a disabled toolset called by name is a JSON-RPC error
 * -32602 that names its toolset and how to enable it; with the toolset
 * enabled (flag or HOSTLENS_TOOLSETS) the same tool answers and its
 * structuredContent matches its outputSchema; `--toolsets all` lists every
 * tool. Also: `core` stays ≤ 15 tools.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions, JsonSchemaType, Tool } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import { productCatalogue } from '../../src/catalogue/index.js';
import { TOOLSETS } from '../../src/contracts/scopes.js';
import { delay, killAll, MODERN, spawnHostlens, within } from './helpers.js';
import type { Spawned } from './helpers.js';

const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];
const validator = new AjvJsonSchemaValidator();

test('catalogue: core has at most 15 tools; every tool belongs to a known toolset; names are unique', () => {
  const core = productCatalogue.tools.filter((t) => t.toolset === 'core');
  assert.ok(core.length <= 15, `core has ${core.length} tools: ${core.map((t) => t.name).join(', ')}`);
  for (const t of productCatalogue.tools) assert.ok((TOOLSETS as readonly string[]).includes(t.toolset), `${t.name}: ${t.toolset}`);
  const names = productCatalogue.tools.map((t) => t.name);
  assert.equal(new Set(names).size, names.length);
  // A toolset that holds no tool is not offered (--toolsets, HOSTLENS_TOOLSETS and the config file refuse it).
  for (const set of TOOLSETS) assert.ok(productCatalogue.tools.some((t) => t.toolset === set), `toolset ${set} holds no tool`);
});

describe('toolsets over Streamable HTTP', { timeout: 120_000 }, () => {
  let plain: Spawned;
  let withConfig: Spawned;
  let viaEnv: Spawned;
  let all: Spawned;
  const urls: Record<string, string> = {};

  before(async () => {
    plain = spawnHostlens(['serve', '--port', '0']);
    withConfig = spawnHostlens(['serve', '--port', '0', '--toolsets', 'core,config']);
    viaEnv = spawnHostlens(['serve', '--port', '0'], { env: { HOSTLENS_TOOLSETS: 'config' } });
    all = spawnHostlens(['serve', '--port', '0', '--toolsets', 'all']);
    urls.plain = (await plain.listening()).url;
    urls.withConfig = (await withConfig.listening()).url;
    urls.viaEnv = (await viaEnv.listening()).url;
    urls.all = (await all.listening()).url;
    await delay(300);
  });
  after(async () => {
    await killAll();
  });

  const connect = async (url: string, options: ClientOptions): Promise<Client> => {
    const client = new Client({ name: 'e2e-toolsets', version: '1.0.0' }, options);
    await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
    return client;
  };

  for (const era of ERAS) {
    describe(`${era.name} era`, () => {
      test('default (core): get_sysctl is not listed, and calling it names the config toolset and both ways to enable it', async () => {
        const client = await connect(urls.plain!, era.options);
        try {
          const listed = await client.listTools();
          const names = listed.tools.map((t) => t.name);
          assert.ok(!names.includes('get_sysctl'), names.join());
          assert.ok(names.includes('triage_host'));
          await assert.rejects(
            () => within(10_000, 'disabled tool', client.callTool({ name: 'get_sysctl', arguments: { prefix: 'vm.' } })),
            (e: unknown) => {
              const err = e as { code?: unknown; message: string };
              assert.equal(err.code, -32602, err.message);
              assert.match(err.message, /get_sysctl/);
              assert.match(err.message, /"config" toolset/);
              assert.match(err.message, /--toolsets core,config/);
              assert.match(err.message, /HOSTLENS_TOOLSETS=core,config/);
              return true;
            },
          );
          // Unknown tools and enabled tools are untouched by the disabled-tool hook.
          await assert.rejects(
            () => client.callTool({ name: 'no_such_tool', arguments: {} }),
            (e: unknown) => (e as { code?: unknown }).code === -32602 && /no_such_tool/.test((e as Error).message) && !/toolset/.test((e as Error).message),
          );
          const ok = await client.callTool({ name: 'get_memory', arguments: {} });
          assert.ok(!ok.isError && ok.structuredContent);
          const bad = await client.callTool({ name: 'get_memory', arguments: { bogus: 1 } });
          assert.equal(bad.isError, true, 'input validation of enabled tools still applies');
        } finally {
          await client.close().catch(() => undefined);
        }
      });

      test('--toolsets core,config: get_sysctl is listed and answers within its outputSchema', async () => {
        const client = await connect(urls.withConfig!, era.options);
        try {
          const tools = new Map<string, Tool>((await client.listTools()).tools.map((t) => [t.name, t]));
          assert.ok(tools.has('get_sysctl') && tools.has('triage_host'));
          const sysctl = tools.get('get_sysctl')!;
          assert.equal(sysctl.annotations?.readOnlyHint, true);
          const result = await within(10_000, 'get_sysctl', client.callTool({ name: 'get_sysctl', arguments: { prefix: 'kernel.', limit: 5 } }));
          assert.ok(!result.isError, JSON.stringify(result.content));
          const verdict = validator.getValidator(sysctl.outputSchema as JsonSchemaType)(result.structuredContent);
          assert.ok(verdict.valid, verdict.errorMessage);
          const env = result.structuredContent as { data: { values: Array<{ key: string; value: unknown }> }; truncated?: { returned: number; total: number; nextCursor?: string } };
          assert.equal(env.data.values.length, 5);
          assert.equal(env.truncated?.returned, 5);
          assert.ok(env.truncated?.nextCursor, 'a cursor to the next page');
          assert.ok(env.truncated && env.truncated.total > 5, 'kernel. has more than 5 keys');
          const one = await client.callTool({ name: 'get_sysctl', arguments: { prefix: 'kernel.pid_max' } });
          const pidMax = (one.structuredContent as { data: { values: Array<{ key: string; value: unknown }> } }).data.values.find((v) => v.key === 'kernel.pid_max');
          assert.equal(typeof pidMax?.value, 'number');
          for (const prefix of ['../etc', '/etc/passwd', 'vm..x', '']) {
            const refused = await client.callTool({ name: 'get_sysctl', arguments: { prefix } });
            assert.equal(refused.isError, true, prefix);
          }
          const tooMany = await client.callTool({ name: 'get_sysctl', arguments: { prefix: 'vm.', limit: 201 } });
          assert.equal(tooMany.isError, true);
        } finally {
          await client.close().catch(() => undefined);
        }
      });

      test('HOSTLENS_TOOLSETS=config alone: only config tools are listed; core tools then explain themselves', async () => {
        const client = await connect(urls.viaEnv!, era.options);
        try {
          const names = (await client.listTools()).tools.map((t) => t.name);
          const expected = productCatalogue.tools.filter((t) => t.toolset === 'config').map((t) => t.name);
          assert.deepEqual(names.sort(), expected.sort());
          await assert.rejects(
            () => client.callTool({ name: 'triage_host', arguments: {} }),
            (e: unknown) => (e as { code?: unknown }).code === -32602 && /"core" toolset/.test((e as Error).message) && /--toolsets config,core/.test((e as Error).message),
          );
        } finally {
          await client.close().catch(() => undefined);
        }
      });

      test('--toolsets all: every tool of the catalogue is listed', async () => {
        const client = await connect(urls.all!, era.options);
        try {
          const names = (await client.listTools()).tools.map((t) => t.name);
          assert.deepEqual(names.sort(), productCatalogue.tools.map((t) => t.name).sort());
        } finally {
          await client.close().catch(() => undefined);
        }
      });
    });
  }
});
