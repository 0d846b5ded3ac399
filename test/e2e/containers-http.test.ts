/**
 * Containers through the real `hostlens serve --toolsets core,containers`, in both protocol eras, against
 * recorded Docker API responses over a unix socket (HOSTLENS_CONTAINER_SOCKET points at the replay server):
 * list_containers and get_container_logs answer within their outputSchema with the recorded facts, no
 * planted secret crosses the wire (structured or text), and an unknown container is an isError result.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions, JsonSchemaType, Tool } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import { startDockerReplay } from '../support/docker-replay.js';
import type { Replay } from '../support/docker-replay.js';
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
