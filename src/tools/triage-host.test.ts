/**
 * triage_host's next steps name what the server serves, through the real
 * server (the shared tool table passes the enabled tools to the handler):
 * over the recorded busy host, whose network counters cross thresholds,
 * list_sockets (network toolset) is suggested exactly when that toolset is on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { productCatalogue } from '../catalogue/index.js';
import type { Toolset } from '../contracts/scopes.js';
import { buildServer } from '../server/build.js';
import { fixtureServices } from '../../test/fixtures/fixture-services.js';

async function nextStepTools(toolsets: Toolset[]): Promise<string[]> {
  const server = buildServer({ catalogue: productCatalogue, services: fixtureServices('busy', 'busy-later'), toolsets, name: 'triage-steps', version: '0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'triage-steps-client', version: '0' });
  await client.connect(b);
  try {
    const result = await client.callTool({ name: 'triage_host', arguments: {} });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    const data = (result.structuredContent as { data: { nextSteps: Array<{ tool: string }>; areas: { network: { status: string } } } }).data;
    assert.notEqual(data.areas.network.status, 'ok', 'the recorded busy host has network findings');
    return data.nextSteps.map((s) => s.tool);
  } finally {
    await client.close();
  }
}

test('triage_host suggests list_sockets when the network toolset is served, and not when only core is', async () => {
  assert.ok((await nextStepTools(['core', 'network'])).includes('list_sockets'));
  const coreOnly = await nextStepTools(['core']);
  assert.ok(!coreOnly.includes('list_sockets'), coreOnly.join(', '));
  assert.ok(coreOnly.includes('get_network'), 'the core network step is still there');
});
