/**
 * A stream opened with an access token must not outlive the token: an event
 * stream (legacy GET or POST SSE, subscriptions/listen) answered to a
 * principal whose token expires is ended at that moment. The client then
 * reconnects, and must present a valid token to do so.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function endAtExpiry(response: Response, expiresAtMs: number | undefined, now: () => number = Date.now): Response {
  if (expiresAtMs === undefined || response.body === null) return response;
  if (!/^text\/event-stream\b/i.test(response.headers.get('content-type') ?? '')) return response;
  const delay = expiresAtMs - now();
  if (delay > MAX_TIMER_MS) return response;
  const reader = response.body.getReader();
  let timer: NodeJS.Timeout | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      timer = setTimeout(
        () => {
          void reader.cancel('access token expired').catch(() => undefined);
          try {
            controller.close();
          } catch {
            // already closed
          }
        },
        Math.max(0, delay),
      );
      timer.unref();
    },
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          clearTimeout(timer);
          try {
            controller.close();
          } catch {
            // closed by the expiry timer
          }
        } else controller.enqueue(chunk.value);
      } catch (error) {
        clearTimeout(timer);
        controller.error(error);
      }
    },
    async cancel(reason) {
      clearTimeout(timer);
      await reader.cancel(reason).catch(() => undefined);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
