/**
 * A legacy session served by a server built for one request: the server must
 * know what the session's initialize told it (the negotiated version, which
 * picks the wire codec; the client's capabilities and info) and the level
 * logging/setLevel chose. The SDK has no public way to hand that to a fresh
 * server, and setting its private fields would break silently on an upgrade.
 * So the stored initialize is replayed through the SDK's own InMemoryTransport
 * (public API), the connection is closed, and the caller connects the real
 * transport: closing keeps what initialize set (restore-session.test.ts pins
 * that against the pinned SDK).
 */
import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { ClientCapabilities, Implementation, JSONRPCMessage, LoggingLevel, McpServer } from '@modelcontextprotocol/server';

interface SessionIdentity {
  protocolVersion: string;
  clientInfo: Implementation;
  clientCapabilities: ClientCapabilities;
  logLevel?: LoggingLevel;
}

/** Replays `identity` into `server` (not yet connected) and leaves it disconnected, ready for its request's transport. */
export async function restoreSession(server: McpServer, identity: SessionIdentity): Promise<void> {
  const [client, end] = InMemoryTransport.createLinkedPair();
  const waiting = new Map<number, { resolve: (m: JSONRPCMessage) => void }>();
  client.onmessage = (message) => {
    const id = (message as { id?: unknown }).id;
    if (typeof id === 'number') waiting.get(id)?.resolve(message);
  };
  const call = (id: number, method: string, params: Record<string, unknown>): Promise<JSONRPCMessage> =>
    new Promise((resolve, reject) => {
      waiting.set(id, {
        resolve: (m) => ('error' in m ? reject(new Error(`restoring the session: ${method} failed: ${JSON.stringify(m.error).slice(0, 200)}`)) : resolve(m)),
      });
      client.send({ jsonrpc: '2.0', id, method, params }).catch(reject);
    });
  await server.connect(end);
  await client.start();
  try {
    await call(1, 'initialize', { protocolVersion: identity.protocolVersion, capabilities: identity.clientCapabilities, clientInfo: identity.clientInfo });
    await client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    if (identity.logLevel !== undefined) await call(2, 'logging/setLevel', { level: identity.logLevel });
  } finally {
    await server.close();
  }
}
