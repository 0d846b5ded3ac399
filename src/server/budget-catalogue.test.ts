/**
 * Every product tool, on this live host, under the smallest allowed budget
 * (maxResultBytes 4096): no result exceeds it (structuredContent nor text),
 * and none fails for it — the cuts keep each result valid against its
 * outputSchema (the server validates it; a mismatch would be an isError).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { productCatalogue } from '../catalogue/index.js';
import { TOOLSETS } from '../contracts/scopes.js';
import { exampleArgs } from '../../test/support/tool-examples.js';
import { buildServer } from './build.js';
import { jsonBytes } from './budget.js';
import { createServices } from '../app/create-services.js';
import type { RunningServices } from '../app/create-services.js';

const MAX_BYTES = 4096;

describe(`every catalogue tool within maxResultBytes ${MAX_BYTES}, in process`, () => {
  let services: RunningServices;
  let client: Client;

  before(async () => {
    services = createServices({ maxResultBytes: MAX_BYTES });
    const server = buildServer({ catalogue: productCatalogue, services, toolsets: [...TOOLSETS], name: 'budget-catalogue', version: '0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    client = new Client({ name: 'budget-catalogue-client', version: '0' });
    await client.connect(b);
    // Rates need two sampler ticks.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
  });

  after(async () => {
    await client?.close().catch(() => undefined);
    services?.stop();
  });

  for (const def of productCatalogue.tools) {
    test(`${def.name}: within ${MAX_BYTES} bytes, valid, not an error`, async () => {
      const args = exampleArgs(def, { serverPid: process.pid });
      const r = await client.callTool({ name: def.name, arguments: args });
      const text = (r.content as Array<{ type: string; text?: string }>).find((c) => c.type === 'text')?.text ?? '';
      assert.notEqual(r.isError, true, `${def.name}: ${text}`);
      const bytes = jsonBytes(r.structuredContent);
      assert.ok(bytes <= MAX_BYTES, `${def.name}: ${bytes} bytes`);
      assert.ok(Buffer.byteLength(text) <= MAX_BYTES, `${def.name}: text ${Buffer.byteLength(text)} bytes`);
      const sc = r.structuredContent as { truncated?: { returned: number; total: number } };
      if (sc.truncated) assert.ok(sc.truncated.returned <= sc.truncated.total, JSON.stringify(sc.truncated));
    });
  }
});
