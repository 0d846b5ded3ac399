/**
 * restoreSession against the pinned SDK: a fresh server given a session's
 * identity answers like the server that saw initialize (negotiated version,
 * client info and capabilities, logging level), and closing the replay
 * connection keeps that identity for the request's own transport.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { restoreSession } from './restore-session.js';

const IDENTITY = {
  protocolVersion: '2025-06-18',
  clientInfo: { name: 'probe-client', version: '9.9.9' },
  clientCapabilities: { roots: { listChanged: true }, elicitation: { form: {} } },
};

function server(): McpServer {
  const s = new McpServer({ name: 'restore', version: '1' }, { capabilities: { tools: {}, logging: {} } });
  s.registerTool('speak', { inputSchema: z.object({}) }, async (_args, ctx) => {
    await ctx.mcpReq.log('info', 'quiet');
    await ctx.mcpReq.log('error', 'loud');
    return { content: [{ type: 'text', text: 'spoke' }] };
  });
  return s;
}

async function call(s: McpServer, version: string): Promise<string> {
  const transport = new WebStandardStreamableHTTPServerTransport({});
  await s.connect(transport);
  const response = await transport.handleRequest(
    new Request('http://127.0.0.1/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': version },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'speak', arguments: {} } }),
    }),
  );
  const text = await response.text();
  await s.close();
  return text;
}

describe('restoreSession', () => {
  test('a fresh server takes the session identity, and keeps it once the replay connection is closed', async () => {
    const s = server();
    await restoreSession(s, IDENTITY);
    assert.equal(s.isConnected(), false, 'left disconnected for the request transport');
    assert.equal(s.server.getNegotiatedProtocolVersion(), '2025-06-18');
    assert.deepEqual(s.server.getClientVersion(), IDENTITY.clientInfo);
    assert.deepEqual(s.server.getClientCapabilities(), IDENTITY.clientCapabilities);
    const text = await call(s, '2025-06-18');
    assert.match(text, /"id":7/);
    assert.match(text, /spoke/);
  });

  test('the stored logging level filters the request\'s log notifications', async () => {
    const quiet = server();
    await restoreSession(quiet, { ...IDENTITY, logLevel: 'error' });
    const filtered = await call(quiet, '2025-06-18');
    assert.match(filtered, /loud/);
    assert.doesNotMatch(filtered, /quiet/);

    const chatty = server();
    await restoreSession(chatty, IDENTITY);
    const all = await call(chatty, '2025-06-18');
    assert.match(all, /loud/);
    assert.match(all, /quiet/, 'without a stored level every message is sent');
  });

  test('an identity the server refuses fails loudly rather than serving a half-restored session', async () => {
    const s = server();
    await assert.rejects(restoreSession(s, { ...IDENTITY, logLevel: 'shouting' as never }), /logging\/setLevel failed/);
    assert.equal(s.isConnected(), false);
  });
});
