/**
 * Evidence over the real `hostlens serve --toolsets core,history` with the SDK
 * client, in both protocol eras: capture_snapshot returns a resource_link whose
 * URI resources/read answers with the stored bundle; diff_snapshots compares
 * two captures; resources/templates/list and resources/list show the snapshot
 * and runbook templates and their members; an unknown snapshot is resource-not-found; the
 * incident_report prompt embeds a capture's figures; completion offers
 * snapshot ids, severities and runbook topics; prompt arguments are
 * validated (-32602), a severity typed as "SEV2", "2" or "Sev 2" is sev2.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult, ClientOptions } from '@modelcontextprotocol/client';
import { delay, killAll, MODERN, spawnHostlens, within } from './helpers.js';

const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];

interface CaptureData {
  snapshotId: string;
  resourceUri: string;
  label: string | null;
  capturedAt: string;
  sizeBytes: number;
  summary: { overall: string; findings: Array<{ code: string }> };
  stored: { count: number; bytes: number; maxCount: number; maxBytes: number };
  evicted: unknown[];
}

interface Bundle {
  id: string;
  label: string | null;
  capturedAt: string;
  sections: Record<string, { data?: Record<string, unknown>; assessments?: unknown[]; error?: string }>;
  findings: unknown[];
}

const textOf = (r: { messages: Array<{ content: unknown }> }): string =>
  r.messages.map((m) => (m.content && typeof m.content === 'object' && 'text' in m.content ? String((m.content as { text: string }).text) : '')).join('\n');

describe('evidence: snapshots, runbooks and report prompts over Streamable HTTP', { timeout: 120_000 }, () => {
  let url: string;

  after(() => killAll());
  before(async () => {
    ({ url } = await spawnHostlens(['serve', '--port', '0', '--toolsets', 'core,history']).listening());
    await delay(1_200); // a full sampler window
  });

  for (const era of ERAS) {
    describe(`${era.name} era`, () => {
      let client: Client;
      let first: CaptureData;
      let second: CaptureData;

      const capture = async (label: string): Promise<{ result: CallToolResult; data: CaptureData }> => {
        const result = await within(30_000, 'capture_snapshot', client.callTool({ name: 'capture_snapshot', arguments: { label } }));
        assert.ok(!result.isError, JSON.stringify(result.content));
        return { result, data: (result.structuredContent as { data: CaptureData }).data };
      };

      before(async () => {
        client = new Client({ name: `evidence-${era.name}`, version: '1.0.0' }, era.options);
        await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
      });
      after(async () => {
        await client?.close().catch(() => undefined);
      });

      test('capture_snapshot twice: each result links its bundle, and resources/read returns exactly that bundle', async () => {
        const listed = await client.listTools();
        const tool = listed.tools.find((t) => t.name === 'capture_snapshot');
        assert.equal(tool?.annotations?.idempotentHint, false);
        assert.equal(tool?.annotations?.readOnlyHint, true);
        const a = await capture(`${era.name} before`);
        const b = await capture(`${era.name} after`);
        first = a.data;
        second = b.data;
        assert.notEqual(first.snapshotId, second.snapshotId);
        for (const { result, data } of [a, b]) {
          assert.match(data.snapshotId, /^snap_[a-z2-7]{10}$/);
          const link = result.content.find((c) => c.type === 'resource_link');
          assert.ok(link && link.type === 'resource_link', JSON.stringify(result.content));
          assert.equal(link.uri, `diag://snapshots/${data.snapshotId}`);
          assert.equal(link.uri, data.resourceUri);
          assert.equal(link.mimeType, 'application/json');
          const read = await client.readResource({ uri: link.uri }, { cacheMode: 'bypass' });
          const content = read.contents[0];
          assert.ok(content && 'text' in content);
          assert.equal(content.mimeType, 'application/json');
          assert.equal(Buffer.byteLength(content.text), data.sizeBytes);
          const bundle = JSON.parse(content.text) as Bundle;
          assert.equal(bundle.id, data.snapshotId);
          assert.equal(bundle.label, data.label);
          assert.equal(bundle.capturedAt, data.capturedAt);
          for (const s of ['triage', 'cpu', 'memory', 'filesystems', 'disks', 'network', 'pressure', 'limits', 'processesByCpu', 'processesByMemory']) {
            assert.ok(bundle.sections[s]?.data, `section ${s} captured on this host: ${JSON.stringify(bundle.sections[s]?.error)}`);
          }
          assert.equal(typeof (bundle.sections.memory?.data as { availableBytes?: unknown }).availableBytes, 'number');
        }
        assert.ok(second.stored.count >= 2 && second.stored.count <= second.stored.maxCount);
      });

      test('diff_snapshots between the two captures', async () => {
        const result = await within(15_000, 'diff_snapshots', client.callTool({ name: 'diff_snapshots', arguments: { a: first.snapshotId, b: second.snapshotId, limit: 10 } }));
        assert.ok(!result.isError, JSON.stringify(result.content));
        const d = (result.structuredContent as { data: { a: { id: string }; b: { id: string }; elapsedSec: number; changed: Array<{ path: string; unit: string }> } }).data;
        assert.deepEqual([d.a.id, d.b.id], [first.snapshotId, second.snapshotId]);
        const expected = (Date.parse(second.capturedAt) - Date.parse(first.capturedAt)) / 1000;
        assert.ok(Math.abs(d.elapsedSec - expected) < 0.01, `${d.elapsedSec} vs ${expected}`);
        assert.ok(d.changed.length <= 10);
        for (const c of d.changed) assert.ok(c.path.includes('.') && typeof c.unit === 'string', JSON.stringify(c));
        const unknown = await client.callTool({ name: 'diff_snapshots', arguments: { a: 'snap_nonexistent', b: second.snapshotId } });
        assert.equal(unknown.isError, true);
        const text = unknown.content.find((c) => c.type === 'text');
        assert.ok(text && 'text' in text && /unknown snapshot "snap_nonexistent"/.test(text.text) && text.text.includes(second.snapshotId), JSON.stringify(unknown.content));
      });

      test('resources/templates/list shows both templates; resources/list shows the snapshots and the runbooks', async () => {
        const templates = await client.listResourceTemplates(undefined, { cacheMode: 'bypass' });
        const byUri = new Map(templates.resourceTemplates.map((t) => [t.uriTemplate, t]));
        assert.equal(byUri.get('diag://snapshots/{id}')?.mimeType, 'application/json');
        assert.equal(byUri.get('diag://runbooks/{topic}')?.mimeType, 'text/markdown');
        const listed = await client.listResources(undefined, { cacheMode: 'bypass' });
        const uris = listed.resources.map((r) => r.uri);
        for (const s of [first, second]) assert.ok(uris.includes(s.resourceUri), `${s.resourceUri} listed`);
        for (const topic of ['high-cpu', 'memory-pressure', 'oom', 'disk-full', 'io-latency', 'network-drops', 'service-crashloop', 'container-throttling']) {
          assert.ok(uris.includes(`diag://runbooks/${topic}`), `runbook ${topic} listed`);
        }
        const rb = await client.readResource({ uri: 'diag://runbooks/disk-full' }, { cacheMode: 'bypass' });
        const md = rb.contents[0];
        assert.ok(md && 'text' in md);
        assert.equal(md.mimeType, 'text/markdown');
        assert.match(md.text, /find_space_hogs/);
      });

      // HostlensError: SDK 2.4 never emits -32002 — a resources/read miss is -32602 whose data is
      // exactly { uri } in every era (the 2026-07-28 spec MUST; clients recognise it by data.uri).
      test('an unknown snapshot or runbook is the resource-not-found error (-32602 with data.uri) naming what exists', async () => {
        const cases: Array<[string, RegExp]> = [
          ['diag://snapshots/snap_aaaaaaaaaa', new RegExp(`unknown snapshot "snap_aaaaaaaaaa".*${second.snapshotId}`)],
          ['diag://runbooks/no-such-topic', /unknown runbook "no-such-topic"; topics: high-cpu/],
        ];
        for (const [uri, message] of cases) {
          await assert.rejects(
            () => within(10_000, uri, client.readResource({ uri }, { cacheMode: 'bypass' })),
            (e: unknown) => {
              const err = e as { code?: unknown; data?: unknown; message?: string };
              assert.equal(err.code, -32602, String(err.message));
              assert.deepEqual(err.data, { uri });
              assert.match(String(err.message), message);
              return true;
            },
          );
        }
      });

      test('incident_report embeds the captured figures; the playbooks name their tools', async () => {
        const bundle = JSON.parse(((await client.readResource({ uri: second.resourceUri }, { cacheMode: 'bypass' })).contents[0] as { text: string }).text) as Bundle;
        const availableBytes = (bundle.sections.memory?.data as { availableBytes: number }).availableBytes;
        const report = await client.getPrompt({ name: 'incident_report', arguments: { startedAt: '2026-05-04T13:20:00Z', severity: 'sev2', snapshotIds: `${first.snapshotId},${second.snapshotId}` } });
        const text = textOf(report);
        assert.ok(text.includes(`### ${second.snapshotId} "${era.name} after"`), 'the snapshot is cited by id');
        assert.ok(text.includes(`memory.availableBytes: ${availableBytes} bytes`), 'its available memory with the unit');
        assert.match(text, /Root-cause hypothesis/);
        const expectations: Record<string, RegExp[]> = {
          investigate_cpu: [/get_cpu/, /top_processes/, /diag:\/\/runbooks\/high-cpu/],
          investigate_memory: [/get_memory/, /oomKillsInWindow/, /diag:\/\/runbooks\/memory-pressure/],
          investigate_disk_full: [/get_filesystems/, /find_space_hogs/, /deletedOpen/, /diag:\/\/runbooks\/disk-full/],
          investigate_io_latency: [/get_disk_io/, /readAwaitMs/, /diag:\/\/runbooks\/io-latency/],
          investigate_network: [/get_network/, /listenOverflowsPerSec/, /conntrack/, /diag:\/\/runbooks\/network-drops/],
          capacity_review: [/get_limits/, /next 60 days/],
        };
        for (const [name, patterns] of Object.entries(expectations)) {
          const got = await client.getPrompt({ name, arguments: name === 'capacity_review' ? { horizonDays: '60' } : {} });
          for (const p of patterns) assert.match(textOf(got), p, `${name}`);
        }
      });

      test('prompt arguments are validated: -32602 with the reason; an unknown snapshot id names the stored ones', async () => {
        await assert.rejects(
          () => client.getPrompt({ name: 'capacity_review', arguments: { horizonDays: '400' } }),
          (e: unknown) => (e as { code?: unknown }).code === -32602 && /horizonDays must be a whole number of days from 1 to 365/.test((e as Error).message),
        );
        await assert.rejects(
          () => client.getPrompt({ name: 'incident_report', arguments: { startedAt: '2026-05-04T13:20:00Z', severity: 'urgent' } }),
          (e: unknown) => (e as { code?: unknown }).code === -32602 && /severity: severity must be one of sev1, sev2, sev3, sev4/.test((e as Error).message),
        );
        // People type severities as they say them: each of these is sev2.
        for (const typed of ['SEV2', '2', 'Sev 2']) {
          const report = await client.getPrompt({ name: 'incident_report', arguments: { startedAt: '2026-05-04T13:20:00Z', severity: typed } });
          assert.match(textOf(report), /Severity sev2 \(major/, typed);
        }
        await assert.rejects(
          () => client.getPrompt({ name: 'incident_report', arguments: { startedAt: '2026-05-04T13:20:00Z', severity: 'sev3', snapshotIds: 'snap_gone' } }),
          // Found unusable by the prompt's build (not by the argument schema): still -32602 with the reason.
          (e: unknown) => (e as { code?: unknown }).code === -32602 && /snapshotIds: unknown snapshot "snap_gone".*stored snapshots, newest first: snap_/.test((e as Error).message),
        );
      });

      test('completion: snapshot ids for incident_report and the snapshot template, runbook topics', async () => {
        const ids = await client.complete({ ref: { type: 'ref/prompt', name: 'incident_report' }, argument: { name: 'snapshotIds', value: 'snap_' } });
        for (const s of [first, second]) assert.ok(ids.completion.values.includes(s.snapshotId), `${s.snapshotId} offered`);
        const tail = await client.complete({ ref: { type: 'ref/prompt', name: 'incident_report' }, argument: { name: 'snapshotIds', value: `${first.snapshotId},${second.snapshotId.slice(0, 9)}` } });
        assert.ok(tail.completion.values.includes(`${first.snapshotId},${second.snapshotId}`), JSON.stringify(tail.completion.values));
        const sev = await client.complete({ ref: { type: 'ref/prompt', name: 'incident_report' }, argument: { name: 'severity', value: 'SE' } });
        assert.deepEqual(sev.completion.values, ['sev1', 'sev2', 'sev3', 'sev4']);
        const sev2 = await client.complete({ ref: { type: 'ref/prompt', name: 'incident_report' }, argument: { name: 'severity', value: 'Sev 2' } });
        assert.deepEqual(sev2.completion.values, ['sev2']);
        const snap = await client.complete({ ref: { type: 'ref/resource', uri: 'diag://snapshots/{id}' }, argument: { name: 'id', value: second.snapshotId.slice(0, 8) } });
        assert.ok(snap.completion.values.includes(second.snapshotId));
        const topics = await client.complete({ ref: { type: 'ref/resource', uri: 'diag://runbooks/{topic}' }, argument: { name: 'topic', value: 'me' } });
        assert.deepEqual(topics.completion.values, ['memory-pressure']);
      });
    });
  }
});
