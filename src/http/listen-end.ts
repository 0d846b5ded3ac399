/**
 * subscriptions/listen on the HTTP app, around the SDK's listen router.
 *
 * When the server itself ends a `subscriptions/listen` stream (shutdown, or a
 * filter with nothing it can honour), the SDK sends the final
 * `resultType: "complete"` result and closes the stream. The 2026-07-28
 * cancellation page also says a server tearing down a listen stream MUST send
 * `notifications/cancelled` referencing it; the subscriptions page asks for the
 * result. Until the spec reconciles them we do both, in that order: this
 * wrapper appends the cancellation (stamped with the subscription id, like
 * every message on that stream) after the SDK's last frame. A stream the
 * client closes gets nothing more.
 */
import { SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import type { JsonRpcId } from '../server/jsonrpc-errors.js';

function cancelFrame(requestId: string | number, reason: string): string {
  const message = {
    jsonrpc: '2.0',
    method: 'notifications/cancelled',
    params: { requestId, reason, _meta: { [SUBSCRIPTION_ID_META_KEY]: requestId } },
  };
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

export function withListenTeardown(response: Response, requestId: JsonRpcId): Response {
  const type = response.headers.get('content-type') ?? '';
  if (response.body === null || requestId === null || !/^text\/event-stream\b/i.test(type)) return response;
  const reader = response.body.getReader();
  const frame = new TextEncoder().encode(cancelFrame(requestId, 'the server ended this subscription'));
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (!chunk.done) {
          controller.enqueue(chunk.value);
          return;
        }
        controller.enqueue(frame);
        controller.close();
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => undefined);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * The acknowledgement must list what the server will honour; the SDK honours
 * every `resourceSubscriptions` URI as given. With `exists`, URIs that name no
 * resource are dropped before the SDK sees the request, so the ack leaves them
 * out. Anything that is not a well-formed filter is passed on untouched for the
 * SDK to refuse (-32602).
 */
/** Distinct resourceSubscriptions URIs one subscriptions/listen may name (each is checked against the catalogue). */
export const MAX_LISTEN_URIS = 64;

/** Why a subscriptions/listen filter is refused (-32602), or null: more than MAX_LISTEN_URIS distinct URIs. */
export function listenFilterProblem(body: unknown): string | null {
  const uris = (body as { params?: { notifications?: { resourceSubscriptions?: unknown } } } | null)?.params?.notifications?.resourceSubscriptions;
  if (!Array.isArray(uris) || uris.length <= MAX_LISTEN_URIS) return null;
  const distinct = new Set(uris.map((u) => (typeof u === 'string' ? u : JSON.stringify(u)))).size;
  return distinct > MAX_LISTEN_URIS ? `Invalid params: subscriptions/listen accepts at most ${MAX_LISTEN_URIS} distinct resourceSubscriptions URIs (got ${distinct})` : null;
}

export function narrowListenFilter(body: unknown, exists: (uri: string) => boolean): unknown {
  const params = (body as { params?: { notifications?: { resourceSubscriptions?: unknown } } } | null)?.params;
  const uris = params?.notifications?.resourceSubscriptions;
  if (!Array.isArray(uris) || !uris.every((u): u is string => typeof u === 'string')) return body;
  const kept = [...new Set(uris)].filter(exists);
  if (kept.length === uris.length) return body;
  const { resourceSubscriptions: _dropped, ...notifications } = params?.notifications ?? {};
  return {
    ...(body as object),
    params: { ...params, notifications: kept.length > 0 ? { ...notifications, resourceSubscriptions: kept } : notifications },
  };
}
