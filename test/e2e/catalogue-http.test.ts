/**
 * Every tool of every toolset, through the real `hostlens serve` with all
 * toolsets enabled, in both protocol eras: tools/list shows exactly the
 * catalogue; each tool answers its first example (the definition's `examples`) with
 * structuredContent that matches its outputSchema (the SDK's Ajv validator),
 * a text rendering, a consistent truncated record, and stays within the
 * default maxResultBytes budget.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions, JsonSchemaType, Tool } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import { productCatalogue } from '../../src/catalogue/index.js';
import { DEFAULT_MAX_RESULT_BYTES } from '../../src/diagnostics/host-inputs.js';
import { TOOLSETS } from '../../src/contracts/scopes.js';
import { delay, killAll, MODERN, spawnHostlens, within } from './helpers.js';
import type { Spawned } from './helpers.js';
import { exampleArgs } from '../support/tool-examples.js';

const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];

const validator = new AjvJsonSchemaValidator();

describe('every catalogue tool, all toolsets enabled, over Streamable HTTP', { timeout: 180_000 }, () => {
  let server: Spawned;
  let url: string;

  before(async () => {
    server = spawnHostlens(['serve', '--port', '0', '--toolsets', TOOLSETS.join(',')]);
    ({ url } = await server.listening());
    await delay(1_200);
  });
  after(async () => {
    await killAll();
  });

  for (const era of ERAS) {
    describe(`${era.name} era`, () => {
      let client: Client;
      const tools = new Map<string, Tool>();

      before(async () => {
        client = new Client({ name: `catalogue-${era.name}`, version: '1.0.0' }, era.options);
        await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
        const listed = await within(10_000, 'tools/list', client.listTools());
        for (const t of listed.tools) tools.set(t.name, t);
      });
      after(async () => {
        await client?.close().catch(() => undefined);
      });

      test('tools/list shows exactly the catalogue when every toolset is enabled', () => {
        assert.deepEqual([...tools.keys()].sort(), productCatalogue.tools.map((t) => t.name).sort());
      });

      for (const def of productCatalogue.tools) {
        test(`${def.name}: minimal call matches its outputSchema, renders text, stays within the result budget`, async () => {
          const args = exampleArgs(def, { serverPid: server.pid });
          const result = await within(60_000, def.name, client.callTool({ name: def.name, arguments: args }));
          const text = result.content.find((c) => c.type === 'text');
          assert.ok(!result.isError, `${def.name} ${JSON.stringify(args)} failed: ${text && 'text' in text ? text.text : JSON.stringify(result)}`);
          assert.ok(text && 'text' in text && text.text.trim().length > 0, `${def.name} renders a text block`);
          const schema = tools.get(def.name)?.outputSchema;
          assert.ok(schema, `${def.name} lists an outputSchema`);
          const verdict = validator.getValidator(schema as JsonSchemaType)(result.structuredContent);
          assert.ok(verdict.valid, `${def.name}: structuredContent does not match outputSchema: ${verdict.errorMessage}`);
          const sc = result.structuredContent as { truncated?: { returned: number; total: number; nextCursor?: string } };
          if (sc.truncated) assert.ok(sc.truncated.returned <= sc.truncated.total, JSON.stringify(sc.truncated));
          const bytes = Buffer.byteLength(JSON.stringify(result.structuredContent));
          assert.ok(bytes <= DEFAULT_MAX_RESULT_BYTES, `${def.name}: structuredContent is ${bytes} bytes, over the ${DEFAULT_MAX_RESULT_BYTES}-byte budget`);
        });
      }
    });
  }
});
