/**
 * The SDK's web-standard transport in stateless mode, one per legacy request:
 * hostlens has already checked the session, so the transport only frames the
 * exchange and stores each SSE event in the session's event store. The one
 * addition is knowing when every request of the POST has been answered (or
 * cancelled), so the server built for it can be closed even when the client
 * cut the stream and will resume it elsewhere.
 */
import { isJSONRPCErrorResponse, isJSONRPCResultResponse, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { JSONRPCMessage, RequestId, TransportSendOptions, WebStandardStreamableHTTPServerTransportOptions } from '@modelcontextprotocol/server';

export class RequestTransport extends WebStandardStreamableHTTPServerTransport {
  private readonly pending: Set<RequestId>;
  private readonly done: () => void;

  constructor(options: WebStandardStreamableHTTPServerTransportOptions, requestIds: readonly RequestId[], done: () => void) {
    super({ ...options, sessionIdGenerator: undefined });
    this.pending = new Set(requestIds);
    this.done = done;
  }

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    try {
      await super.send(message, options);
    } finally {
      if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) this.settle(message.id);
    }
  }

  /** Delivers notifications/cancelled for one of this POST's requests (the SDK sends no answer for it) and ends its stream. */
  cancel(requestId: RequestId, reason?: string): void {
    if (!this.pending.has(requestId)) return;
    this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, ...(reason !== undefined ? { reason } : {}) } });
    // Let the handler see the abort first, then end the stream: the cancelled call no longer counts as in flight.
    setTimeout(() => {
      this.closeSSEStream(requestId);
      this.settle(requestId);
    }, 50).unref();
  }

  private settle(id: RequestId | undefined): void {
    if (id === undefined || !this.pending.delete(id)) return;
    if (this.pending.size === 0) this.done();
  }
}

/** Ids of the JSON-RPC requests (not notifications or responses) in a POSTed body. */
export function requestIdsOf(body: unknown): RequestId[] {
  const messages = Array.isArray(body) ? body : [body];
  const ids: RequestId[] = [];
  for (const m of messages) {
    if (m === null || typeof m !== 'object') continue;
    const { id, method } = m as { id?: unknown; method?: unknown };
    if (typeof method === 'string' && (typeof id === 'string' || typeof id === 'number')) ids.push(id);
  }
  return ids;
}
