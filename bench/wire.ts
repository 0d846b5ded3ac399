/**
 * The bench's HTTP client and MCP request builders: raw node:http with a
 * keep-alive agent (no SDK client, so the figures are the server's, not a
 * client library's), both protocol eras, and a minimal SSE/JSON reader.
 */
import { Agent, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

export const MODERN = '2026-07-28';
export const LEGACY = '2025-11-25';
export const ACCEPT = 'application/json, text/event-stream';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** One POST over loopback; resolves when the whole body has arrived. */
export function post(agent: Agent, port: number, headers: Record<string, string>, body: string, timeoutMs = 15_000, path = '/mcp'): Promise<HttpResult> {
  return new Promise<HttpResult>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function del(agent: Agent, port: number, headers: Record<string, string>, timeoutMs = 15_000): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'DELETE', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('DELETE timed out')));
    req.on('error', reject);
    req.end();
  });
}

export interface JsonRpcMessage {
  id?: string | number | null;
  method?: string;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** The JSON-RPC messages of a reply, whether it came as JSON or as SSE. */
export function messagesOf(r: HttpResult): JsonRpcMessage[] {
  const type = String(r.headers['content-type'] ?? '');
  if (type.startsWith('text/event-stream')) {
    const out: JsonRpcMessage[] = [];
    for (const block of r.body.replace(/\r\n/g, '\n').split('\n\n')) {
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data.trim() !== '') out.push(JSON.parse(data) as JsonRpcMessage);
    }
    return out;
  }
  if (r.body.trim() === '') return [];
  const parsed = JSON.parse(r.body) as JsonRpcMessage | JsonRpcMessage[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** The one response of a reply; throws with the body when it is an error or missing. */
export function resultOf(r: HttpResult, what: string): Record<string, unknown> {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
  const response = messagesOf(r).find((m) => 'result' in m || 'error' in m);
  if (!response?.result) throw new Error(`${what}: no result: ${r.body.slice(0, 300)}`);
  if (response.result.isError === true) throw new Error(`${what}: tool error: ${r.body.slice(0, 300)}`);
  return response.result;
}

// ------------------------------------------------------------------ modern

export function modernMeta(): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'hostlens-bench', version: '1.0.0' },
  };
}

/** A modern (2026-07-28) stateless request: body plus the mirrored headers (`Mcp-Name` when the params name something). */
export function modernRequest(id: number, method: string, params: Record<string, unknown>): { headers: Record<string, string>; body: string } {
  return {
    headers: {
      'content-type': 'application/json',
      accept: ACCEPT,
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: modernMeta() } }),
  };
}

/** A modern (2026-07-28) stateless tools/call: body plus the mirrored headers. */
export function modernToolCall(id: number, name: string, args: Record<string, unknown>): { headers: Record<string, string>; body: string } {
  return modernRequest(id, 'tools/call', { name, arguments: args });
}

// ------------------------------------------------------------------ legacy

export function legacyHeaders(sessionId?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: ACCEPT,
    'mcp-protocol-version': LEGACY,
    ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
  };
}

export function legacyToolCall(sessionId: string, id: number, name: string, args: Record<string, unknown>): { headers: Record<string, string>; body: string } {
  return {
    headers: legacyHeaders(sessionId),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
  };
}

export const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'hostlens-bench', version: '1.0.0' } },
});
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

/** initialize + notifications/initialized; returns the session id. */
export async function openLegacySession(agent: Agent, port: number): Promise<string> {
  const init = await post(agent, port, legacyHeaders(), INITIALIZE);
  resultOf(init, 'initialize');
  const sid = init.headers['mcp-session-id'];
  if (typeof sid !== 'string' || sid === '') throw new Error('initialize answered without Mcp-Session-Id');
  const ack = await post(agent, port, legacyHeaders(sid), INITIALIZED);
  if (ack.status !== 202) throw new Error(`notifications/initialized: HTTP ${ack.status}: ${ack.body.slice(0, 200)}`);
  return sid;
}

export async function closeLegacySession(agent: Agent, port: number, sessionId: string): Promise<void> {
  await del(agent, port, legacyHeaders(sessionId)).catch(() => undefined);
}
