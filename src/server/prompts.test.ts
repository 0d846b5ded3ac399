/**
 * In-process: prompts served from the product catalogue by servers built for
 * two different Services in one process (completion metadata must not clash),
 * and a prompt argument the prompt's build cannot use is -32602 with the reason.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { productCatalogue } from '../catalogue/index.js';
import { buildServer } from './build.js';
import { createServices } from '../app/create-services.js';

test('two Services in one process both serve prompts and completions; a prompt argument its build refuses is -32602', async () => {
  const all = [createServices({ startSampler: false }), createServices({ startSampler: false })];
  const clients: Client[] = [];
  try {
    for (const services of all) {
      const server = buildServer({ catalogue: productCatalogue, services, toolsets: ['core'], name: 'prompts-test', version: '0' });
      const [a, b] = InMemoryTransport.createLinkedPair();
      await server.connect(a);
      const client = new Client({ name: 'prompts-test-client', version: '0' });
      await client.connect(b);
      clients.push(client);
      const listed = await client.listPrompts();
      assert.ok(listed.prompts.some((p) => p.name === 'incident_report'));
      const severities = await client.complete({ ref: { type: 'ref/prompt', name: 'incident_report' }, argument: { name: 'severity', value: 'sev' } });
      assert.deepEqual(severities.completion.values, ['sev1', 'sev2', 'sev3', 'sev4']);
      await assert.rejects(
        () => client.getPrompt({ name: 'incident_report', arguments: { startedAt: '2026-05-04T13:20:00Z', endedAt: '2026-05-04T12:00:00Z', severity: 'sev2' } }),
        (e: unknown) => (e as { code?: unknown }).code === -32602 && /endedAt .* is before startedAt/.test((e as Error).message),
      );
    }
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const s of all) s.stop();
  }
});
