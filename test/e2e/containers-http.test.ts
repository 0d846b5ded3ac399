/**
 * Containers through the real `hostlens serve --toolsets core,containers`, in both protocol eras, against
 * recorded Docker API responses over a unix socket (HOSTLENS_CONTAINER_SOCKET points at the replay server):
 * list_containers and get_container_logs answer within their outputSchema with the recorded facts, no
 * planted secret crosses the wire (structured or text), and an unknown container is an isError result.
 * With 104 containers, a 100-container page is cut by the server to the result budget and the cursors visit
 * every container once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions, JsonSchemaType, Tool } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import { startDockerReplay } from '../support/docker-replay.js';
import type { Replay } from '../support/docker-replay.js';
import { DEFAULT_MAX_RESULT_BYTES } from '../../src/diagnostics/host-inputs.js';
import { killAll, MODERN, spawnHostlens, within } from './helpers.js';

const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];
const validator = new AjvJsonSchemaValidator();

describe('recorded Docker API responses over a unix socket, through hostlens serve (containers toolset)', { timeout: 120_000 }, () => {
  let replay: Replay;
  let url: string;
  before(async () => {
    replay = await startDockerReplay();
    const server = spawnHostlens(['serve', '--port', '0', '--toolsets', 'core,containers'], { env: { HOSTLENS_CONTAINER_SOCKET: replay.socket } });
    ({ url } = await server.listening());
  });
  after(async () => {
    await killAll();
    await replay.close();
  });

  for (const era of ERAS) {
    describe(`${era.name} era`, () => {
      let client: Client;
      const tools = new Map<string, Tool>();
      before(async () => {
        client = new Client({ name: `containers-${era.name}`, version: '1.0.0' }, era.options);
        await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
        for (const t of (await within(10_000, 'tools/list', client.listTools())).tools) tools.set(t.name, t);
      });
      after(async () => {
        await client?.close().catch(() => undefined);
      });

      const callValid = async (name: string, args: Record<string, unknown>): Promise<{ sc: Record<string, unknown>; text: string }> => {
        const r = await within(20_000, name, client.callTool({ name, arguments: args }));
        assert.notEqual(r.isError, true, JSON.stringify(r.content));
        const verdict = validator.getValidator(tools.get(name)!.outputSchema as JsonSchemaType)(r.structuredContent);
        assert.ok(verdict.valid, verdict.errorMessage);
        const text = (r.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
        assert.doesNotMatch(JSON.stringify(r.structuredContent) + text, /Planted/);
        return { sc: r.structuredContent as Record<string, unknown>, text };
      };

      test('list_containers: the recorded engine, problems first, with stats', async () => {
        assert.equal(tools.get('list_containers')?.annotations?.readOnlyHint, true);
        const { sc, text } = await callValid('list_containers', {});
        const d = sc.data as { available: boolean; runtime: { kind: string; socket: string }; containers: Array<{ name: string; cpuPct: number | null; oomKilled: boolean }> };
        assert.equal(d.available, true);
        assert.equal(d.runtime.kind, 'docker');
        assert.equal(d.runtime.socket, replay.socket);
        assert.deepEqual(d.containers.map((c) => c.name), ['worker', 'api', 'shell', 'web']);
        assert.equal(d.containers[3]!.cpuPct, 25);
        const codes = (sc.assessments as Array<{ code: string; status: string }>).filter((a) => a.status === 'critical').map((a) => a.code);
        assert.ok(codes.includes('container.oom_killed') && codes.includes('container.unhealthy'), codes.join());
        assert.match(text, /worker .* OOM-KILLED/);
      });

      test('get_container_logs: redacted lines; an unknown container is an isError result', async () => {
        const { sc } = await callValid('get_container_logs', { container: 'web', tail: 5 });
        const d = sc.data as { lines: Array<{ text: string; stream: string }>; redactionCount: number };
        assert.equal(d.lines.length, 5);
        assert.ok(d.lines.some((l) => /password=\[REDACTED\]/.test(l.text)));
        assert.equal(d.redactionCount, 2, 'the Bearer token and the password in the last 5 lines');
        const miss = await within(10_000, 'unknown', client.callTool({ name: 'get_container_logs', arguments: { container: 'ghost' } }));
        assert.equal(miss.isError, true);
        assert.match(JSON.stringify(miss.content), /no container \\"ghost\\"/);
      });
    });
  }
});

describe('recorded Docker API responses over a unix socket: 104 containers against the result budget', { timeout: 120_000 }, () => {
  let replay: Replay;
  let client: Client;
  before(async () => {
    replay = await startDockerReplay({ bulk: { count: 100, state: 'exited' } });
    const server = spawnHostlens(['serve', '--port', '0', '--toolsets', 'containers'], { env: { HOSTLENS_CONTAINER_SOCKET: replay.socket } });
    const { url } = await server.listening();
    client = new Client({ name: 'containers-budget', version: '1.0.0' }, ERAS[1]!.options);
    await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    await killAll();
    await replay.close();
  });

  test('limit 100: each page fits maxResultBytes, says truncated, and nextCursor continues to the end', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await within(20_000, 'list_containers', client.callTool({ name: 'list_containers', arguments: { limit: 100, ...(cursor ? { cursor } : {}) } }));
      assert.notEqual(r.isError, true, JSON.stringify(r.content));
      const sc = r.structuredContent as { data: { containers: Array<{ name: string }>; counts: { total: number } }; truncated?: { nextCursor?: string; total: number } };
      assert.ok(Buffer.byteLength(JSON.stringify(sc)) <= DEFAULT_MAX_RESULT_BYTES);
      assert.equal(sc.data.counts.total, 104);
      seen.push(...sc.data.containers.map((c) => c.name));
      cursor = sc.truncated?.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    assert.ok(pages >= 2, 'the first 100-container page does not fit the budget');
    assert.equal(seen.length, 104);
    assert.equal(new Set(seen).size, 104);
    assert.deepEqual(seen.slice(0, 2), ['bulk-000', 'bulk-001'], 'OOM-killed clones of worker come first, by name');
  });
});
