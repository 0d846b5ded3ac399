/**
 * `hostlens serve --stdio`: the SDK v2 StdioClientTransport in the legacy era
 * and with `mode: 'auto'` (which settles on the modern era), then the raw
 * process: every line on stdout is a JSON-RPC message (logs go to stderr),
 * both eras answer, and the server exits cleanly when stdin closes.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/client';
import type { ClientOptions, JsonSchemaType } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import { productCatalogue } from '../../src/catalogue/index.js';
import { CLI, delay, killAll, MODERN, parseLogLines, repoRoot, spawnHostlens, within } from './helpers.js';

/** tools/list with the default toolsets (core only). */
const CORE_TOOL_COUNT = productCatalogue.tools.filter((t) => t.toolset === 'core').length;

const validator = new AjvJsonSchemaValidator();

const MODES: ReadonlyArray<{ mode: 'legacy' | 'auto'; era: 'legacy' | 'modern'; options: ClientOptions }> = [
  { mode: 'legacy', era: 'legacy', options: {} },
  { mode: 'auto', era: 'modern', options: { versionNegotiation: { mode: 'auto' } } },
];

describe('hostlens serve --stdio with the SDK client', { timeout: 90_000 }, () => {
  for (const m of MODES) {
    test(`${m.mode} mode: list tools, call triage_host and get_memory`, async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [...CLI, 'serve', '--stdio'],
        cwd: repoRoot,
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString('utf8');
      });
      const client = new Client({ name: `e2e-stdio-${m.mode}`, version: '1.0.0' }, m.options);
      let pid: number | null = null;
      try {
        await within(20_000, 'stdio connect', client.connect(transport));
        pid = transport.pid;
        assert.equal(client.getProtocolEra(), m.era);
        if (m.era === 'modern') assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
        assert.equal(client.getServerVersion()?.name, 'hostlens');

        const { tools } = await within(10_000, 'tools/list', client.listTools());
        assert.deepEqual(tools.map((t) => t.name).sort(), productCatalogue.tools.filter((t) => t.toolset === 'core').map((t) => t.name).sort());
        for (const name of ['triage_host', 'get_memory']) {
          const r = await within(15_000, name, client.callTool({ name, arguments: {} }));
          assert.ok(!r.isError, `${name}: ${JSON.stringify(r.content)}`);
          const schema = tools.find((t) => t.name === name)?.outputSchema as JsonSchemaType;
          const verdict = validator.getValidator(schema)(r.structuredContent);
          assert.ok(verdict.valid, `${name} structuredContent vs outputSchema: ${verdict.errorMessage}`);
          assert.ok(r.content.some((c) => c.type === 'text' && c.text.length > 0));
        }
        const bad = await within(10_000, 'bad input', client.callTool({ name: 'top_processes', arguments: { limit: 51 } }));
        assert.equal(bad.isError, true);
        const logs = parseLogLines(stderr);
        assert.ok(logs.some((l) => l.msg === 'serving on stdio'), `stderr carries the JSON logs: ${stderr}`);
      } finally {
        await client.close().catch(() => undefined);
      }
      // The SDK closes stdin and the server process goes away.
      if (pid !== null) {
        const deadline = Date.now() + 5_000;
        while (Date.now() < deadline && alive(pid)) await delay(50);
        if (alive(pid)) {
          process.kill(pid, 'SIGKILL');
          assert.fail(`stdio server pid ${pid} still running 5 s after the client closed`);
        }
      }
    });
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('hostlens serve --stdio, raw', { timeout: 60_000 }, () => {
  after(async () => {
    await killAll();
  });

  /** A raw stdio server with line-level helpers. */
  const rawServer = async () => {
    const s = spawnHostlens(['serve', '--stdio']);
    const send = (msg: unknown): void => {
      s.child.stdin.write(`${JSON.stringify(msg)}\n`);
    };
    const messages = (): Array<Record<string, unknown>> =>
      s
        .stdout()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const waitFor = async (id: number | string, what: string): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const hit = messages().find((m) => m.id === id && ('result' in m || 'error' in m));
        if (hit) return hit;
        if (Date.now() > deadline) assert.fail(`no response to ${what}; stdout:\n${s.stdout()}\nstderr:\n${s.stderr()}`);
        await delay(25);
      }
    };
    /** Closes stdin, expects exit 0, then checks that every stdout line is one JSON-RPC 2.0 message. */
    const closeAndCheck = async (): Promise<void> => {
      s.child.stdin.end();
      const exit = await within(10_000, 'the stdio server to exit after stdin closed', s.exited);
      assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}; stderr:\n${s.stderr()}`);
      const lines = s.stdout().split('\n');
      assert.equal(lines[lines.length - 1], '', 'stdout ends with a newline');
      for (const line of lines.slice(0, -1)) {
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          assert.fail(`a non-JSON line on stdout: ${line.slice(0, 200)}`);
        }
        assert.equal(msg.jsonrpc, '2.0', line.slice(0, 200));
        const isResponse = 'id' in msg && ('result' in msg || 'error' in msg);
        const isNotificationOrRequest = typeof msg.method === 'string';
        assert.ok(isResponse || isNotificationOrRequest, `not a JSON-RPC message: ${line.slice(0, 200)}`);
      }
      assert.ok(parseLogLines(s.stderr()).some((l) => l.msg === 'serving on stdio'), 'logs go to stderr');
      assert.ok(!s.stdout().includes('"level":'), 'no log line on stdout');
    };
    await s.waitForLog((l) => l.msg === 'serving on stdio', 20_000, 'the stdio server to start');
    return { s, send, messages, waitFor, closeAndCheck };
  };

  test('legacy: stdout carries nothing but JSON-RPC messages (with progress); EOF on stdin → exit 0', async () => {
    const { send, messages, waitFor, closeAndCheck } = await rawServer();
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } } });
    const init = await waitFor(1, 'initialize');
    assert.equal((init.result as { protocolVersion?: string } | undefined)?.protocolVersion, '2025-11-25', JSON.stringify(init));
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const list = await waitFor(2, 'tools/list');
    assert.equal(((list.result as { tools?: unknown[] } | undefined)?.tools ?? []).length, CORE_TOOL_COUNT);
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'triage_host', arguments: {} } });
    const triage = await waitFor(3, 'triage_host');
    assert.ok(triage.result && !(triage.result as { isError?: boolean }).isError, JSON.stringify(triage));
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'get_cpu', arguments: { windowSec: 0.6 }, _meta: { progressToken: 'p4' } } });
    await waitFor(4, 'get_cpu with a window');
    send({ jsonrpc: '2.0', id: 5, method: 'no/such/method' });
    const unknown = await waitFor(5, 'an unknown method');
    assert.equal((unknown.error as { code?: number } | undefined)?.code, -32601);
    const progress = messages().filter((m) => m.method === 'notifications/progress');
    assert.ok(progress.some((m) => (m.params as { progressToken?: unknown }).progressToken === 'p4'), 'progress for the windowed call went to stdout as JSON-RPC');
    await closeAndCheck();
  });

  test('modern: server/discover and a stateless tools/call; the connection then stays modern; EOF → exit 0', async () => {
    const { send, waitFor, closeAndCheck } = await rawServer();
    const meta = {
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1.0.0' },
    };
    send({ jsonrpc: '2.0', id: 'd1', method: 'server/discover', params: { _meta: meta } });
    const discover = await waitFor('d1', 'server/discover');
    assert.deepEqual((discover.result as { supportedVersions?: string[] } | undefined)?.supportedVersions, [MODERN], JSON.stringify(discover));
    send({ jsonrpc: '2.0', id: 'm1', method: 'tools/call', params: { name: 'get_cpu', arguments: {}, _meta: meta } });
    const call = await waitFor('m1', 'a modern tools/call');
    const result = call.result as { structuredContent?: unknown; resultType?: string } | undefined;
    assert.ok(result?.structuredContent, JSON.stringify(call));
    assert.equal(result.resultType, 'complete');
    // The SDK fixes the era of a stdio connection at its first message: a later initialize is refused.
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } } });
    const init = await waitFor(1, 'initialize on a modern connection');
    assert.equal((init.error as { code?: number } | undefined)?.code, -32022, JSON.stringify(init));
    await closeAndCheck();
  });

  test('SIGTERM stops a stdio server with exit 0 and logs the signal', async () => {
    const s = spawnHostlens(['serve', '--stdio']);
    await s.waitForLog((l) => l.msg === 'serving on stdio', 20_000, 'the stdio server to start');
    s.signal('SIGTERM');
    const exit = await within(10_000, 'exit after SIGTERM', s.exited);
    assert.equal(exit.code, 0, s.stderr());
    assert.equal(s.stdout(), '');
    const stopping = s.logs().filter((l) => l.msg === 'shutting down');
    assert.deepEqual(stopping.map((l) => [l.signal, l.reason]), [['SIGTERM', undefined]], s.stderr());
  });

  test('stdin closed: the shutdown line says so, not a signal nobody sent', async () => {
    const s = spawnHostlens(['serve', '--stdio']);
    await s.waitForLog((l) => l.msg === 'serving on stdio', 20_000, 'the stdio server to start');
    s.child.stdin.end();
    const exit = await within(10_000, 'exit after stdin closed', s.exited);
    assert.deepEqual(exit, { code: 0, signal: null }, s.stderr());
    const stopping = s.logs().filter((l) => l.msg === 'shutting down');
    assert.deepEqual(stopping.map((l) => [l.reason, l.signal]), [['stdin closed', undefined]], s.stderr());
  });
});
