/**
 * Child process for the throughput phase. Serves, on two loopback ports:
 *  - `app`:  the real hostlens HTTP app (createHttpApp, both eras, guards,
 *            sessions, logging hook) with a trivial `echo` tool;
 *  - `bare`: a bare node:http JSON-RPC handler that parses the POST body and
 *            answers {"jsonrpc":"2.0","id":…,"result":{…}}: the floor.
 * Prints one JSON line {"barePort":…,"appPort":…} on stdout when ready.
 * Exits on SIGTERM, or when the parent goes away (stdin closes).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { createHttpApp } from '../../src/http/app.js';
import type { McpFactory } from '../../src/http/app.js';

/** The trivial tool: the same shape of work as a product tool (input + output schema), none of the diagnostics. */
const echoFactory: McpFactory = () => {
  const server = new McpServer({ name: 'hostlens-bench-echo', version: '0.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'echo',
    {
      description: 'Echo the text back',
      inputSchema: z.object({ text: z.string().max(1000) }),
      outputSchema: z.object({ echo: z.string() }),
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ text }) => ({ content: [{ type: 'text', text }], structuredContent: { echo: text } }),
  );
  return server;
};

function bareServer() {
  return createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let id: unknown = null;
      let text = '';
      try {
        const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { id?: unknown; params?: { arguments?: { text?: unknown } } };
        id = body.id ?? null;
        text = String(body.params?.arguments?.text ?? '');
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
        return;
      }
      const payload = JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], structuredContent: { echo: text } } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
}

const bare = bareServer();
bare.keepAliveTimeout = 5_000;
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));

const app = createHttpApp({ factory: echoFactory, host: '127.0.0.1', port: 0, maxSessions: 1024, version: 'bench' });
const { port: appPort } = await app.listen();

process.stdout.write(`${JSON.stringify({ barePort: (bare.address() as AddressInfo).port, appPort, pid: process.pid })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(0), 3_000);
  force.unref();
  bare.closeAllConnections();
  bare.close();
  void app.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
