/**
 * Services over the real `hostlens serve` with the SDK client, in both
 * protocol eras. "recorded systemctl output": the server runs with a stand-in
 * systemctl (test/fixtures/systemd/bin) first in PATH and --root a fixture
 * tree whose PID 1 is systemd, so list_services / get_service go through the
 * same runProgram path as on a systemd host. A second server on the live
 * root gives this machine's answer (systemd not PID 1 here: available false).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult, ClientOptions } from '@modelcontextprotocol/client';
import { killAll, MODERN, repoRoot, spawnHostlens, within } from './helpers.js';

const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];
const FIX = join(repoRoot, 'test/fixtures/systemd');
const PLANTED = ['hunter2-planted-42', 'tok_plantedvalue9', 'planted world'];

interface Unit {
  name: string;
  active: string;
  restarts: number | null;
}
type Data = Record<string, unknown> & { systemd: { available: boolean; reason: string | null } };

const dataOf = (r: CallToolResult): Data => (r.structuredContent as { data: Data }).data;
const textOf = (r: CallToolResult): string => r.content.map((c) => ('text' in c ? c.text : '')).join('\n');

async function connect(url: string, name: string, options: ClientOptions): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' }, options);
  await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
  return client;
}

describe('services over Streamable HTTP', { timeout: 120_000 }, () => {
  let recordedUrl: string;
  let liveUrl: string;
  after(() => killAll());
  before(async () => {
    const recorded = spawnHostlens(['serve', '--port', '0', '--toolsets', 'core,logs', '--root', join(FIX, 'host')], {
      env: { PATH: `${join(FIX, 'bin')}:${process.env.PATH ?? ''}` },
    });
    const live = spawnHostlens(['serve', '--port', '0', '--toolsets', 'core,logs']);
    [{ url: recordedUrl }, { url: liveUrl }] = await Promise.all([recorded.listening(), live.listening()]);
  });

  for (const era of ERAS) {
    describe(`${era.name} era`, () => {
      let recorded: Client;
      let live: Client;
      before(async () => {
        [recorded, live] = await Promise.all([connect(recordedUrl, `svc-${era.name}`, era.options), connect(liveUrl, `svc-live-${era.name}`, era.options)]);
      });
      after(async () => {
        await recorded?.close().catch(() => undefined);
        await live?.close().catch(() => undefined);
      });

      test('recorded systemctl output: list_services pages failed-first units', async () => {
        const first = (await recorded.callTool({ name: 'list_services', arguments: { limit: 5 } })) as CallToolResult;
        assert.ok(!first.isError, textOf(first));
        const d = dataOf(first);
        assert.equal(d.systemd.available, true);
        const units = d.units as Unit[];
        assert.deepEqual(units.slice(0, 3).map((u) => [u.name, u.active]), [['backup.service', 'failed'], ['nginx.service', 'failed'], ['worker.service', 'activating']]);
        const cursor = (first.structuredContent as { truncated?: { nextCursor?: string } }).truncated?.nextCursor;
        assert.ok(cursor, 'a second page');
        const second = (await recorded.callTool({ name: 'list_services', arguments: { limit: 5, cursor } })) as CallToolResult;
        assert.equal((dataOf(second).units as Unit[]).length, 4);
        const codes = (first.structuredContent as { assessments: Array<{ code: string; status: string }> }).assessments;
        assert.deepEqual(codes.map((a) => [a.code, a.status]), [['services.failed', 'warning'], ['services.crash_loop', 'critical']]);
      });

      test('recorded systemctl output: get_service detail without environment values; unknown and hostile units are tool errors', async () => {
        const r = (await recorded.callTool({ name: 'get_service', arguments: { unit: 'worker.service' } })) as CallToolResult;
        assert.ok(!r.isError, textOf(r));
        const u = dataOf(r).unit as Record<string, unknown>;
        assert.equal(u.execMainCode, 'killed');
        assert.deepEqual(u.environmentNames, ['DB_PASSWORD', 'GREETING', 'API_TOKEN', 'QUEUE']);
        const wire = JSON.stringify(r);
        for (const secret of PLANTED) assert.ok(!wire.includes(secret), `planted ${secret} leaked`);
        const unknown = (await recorded.callTool({ name: 'get_service', arguments: { unit: 'nosuch.service' } })) as CallToolResult;
        assert.equal(unknown.isError, true);
        assert.match(textOf(unknown), /unknown unit "nosuch.service"/);
        for (const bad of ['x; rm -rf /', '--help', '../x']) {
          const e = (await recorded.callTool({ name: 'get_service', arguments: { unit: bad } })) as CallToolResult;
          assert.equal(e.isError, true, bad);
          assert.match(textOf(e), /is not a unit name/);
        }
      });

      test('recorded systemctl output: investigate_service completes unit names and builds the playbook', async () => {
        await recorded.callTool({ name: 'list_services', arguments: {} });
        const c = await recorded.complete({ ref: { type: 'ref/prompt', name: 'investigate_service' }, argument: { name: 'unit', value: 'wor' } });
        assert.deepEqual(c.completion.values, ['worker.service']);
        const p = await recorded.getPrompt({ name: 'investigate_service', arguments: { unit: 'worker.service' } });
        assert.match(JSON.stringify(p.messages), /get_service with unit \\"worker.service\\"/);
        await assert.rejects(() => recorded.getPrompt({ name: 'investigate_service', arguments: { unit: '--help' } }), /not a unit name/);
      });

      test('live: systemd state and diag://local/capabilities agree with this machine', async () => {
        const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
        const r = (await live.callTool({ name: 'list_services', arguments: {} })) as CallToolResult;
        const content = (await live.readResource({ uri: 'diag://local/capabilities' }, { cacheMode: 'bypass' })).contents[0]!;
        const caps = JSON.parse('text' in content ? content.text : '{}') as {
          systemd: { available: boolean; pid1: string; reason: string | null };
        };
        assert.equal(caps.systemd.pid1, pid1);
        if (pid1 !== 'systemd') {
          assert.ok(!r.isError, textOf(r));
          assert.equal(dataOf(r).systemd.available, false);
          assert.match(dataOf(r).systemd.reason ?? '', /systemd is not PID 1/);
          assert.equal(caps.systemd.available, false);
          assert.match(caps.systemd.reason ?? '', /not PID 1/);
          const g = (await live.callTool({ name: 'get_service', arguments: { unit: 'ssh.service' } })) as CallToolResult;
          assert.ok(!g.isError);
          assert.equal(dataOf(g).unit, null);
        } else {
          assert.equal(caps.systemd.available, true);
        }
      });
    });
  }
});
