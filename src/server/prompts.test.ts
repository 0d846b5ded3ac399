/**
 * In-process: prompts served from the product catalogue by servers built for
 * two different Services in one process (completion metadata must not clash),
 * a prompt argument the prompt's build cannot use is -32602 with the reason,
 * and an enumerated argument typed loosely reaches the build as its canonical
 * value (the listing still shows it as a required, described argument).
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

test('through the server: severity typed as SEV2, 2 or Sev 2 builds the sev2 report, junk is -32602 naming it and the values, completion offers the canonical values', async () => {
  const services = createServices({ startSampler: false });
  const server = buildServer({ catalogue: productCatalogue, services, toolsets: ['core'], name: 'prompts-test', version: '0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'prompts-test-client', version: '0' });
  await client.connect(b);
  try {
    const listed = (await client.listPrompts()).prompts.find((p) => p.name === 'incident_report');
    const severity = listed?.arguments?.find((arg) => arg.name === 'severity');
    assert.equal(severity?.required, true);
    assert.match(severity?.description ?? '', /^incident severity: sev1 = critical/);
    for (const typed of ['SEV2', '2', 'Sev 2', 'SEV-2', 'Sev2']) {
      const r = await client.getPrompt({ name: 'incident_report', arguments: { startedAt: '2026-05-04T13:20:00Z', severity: typed } });
      const text = r.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n');
      assert.match(text, /Severity sev2 \(major/, typed);
    }
    for (const junk of ['sev5', 'urgent', '']) {
      await assert.rejects(
        () => client.getPrompt({ name: 'incident_report', arguments: { startedAt: '2026-05-04T13:20:00Z', severity: junk } }),
        (e: unknown) => (e as { code?: unknown }).code === -32602 && /severity: severity must be one of sev1, sev2, sev3, sev4/.test((e as Error).message),
      );
    }
    const complete = async (value: string) => (await client.complete({ ref: { type: 'ref/prompt', name: 'incident_report' }, argument: { name: 'severity', value } })).completion.values;
    assert.deepEqual(await complete('SE'), ['sev1', 'sev2', 'sev3', 'sev4']);
    assert.deepEqual(await complete('Sev 3'), ['sev3']);
    assert.deepEqual(await complete('urg'), []);
  } finally {
    await client.close().catch(() => undefined);
    services.stop();
  }
});
