/**
 * Wraps a Response so a callback runs exactly once when its body has been
 * fully sent, failed, or was cancelled by the client (for SSE this is when the
 * stream ends). Used for in-flight accounting, idle tracking and request logs.
 *
 * `signal` is the request's signal, which the node adapter aborts when the
 * client disconnects. The adapter itself only notices a disconnect at its next
 * write, so a silent SSE stream (a legacy GET stream, or a call still working)
 * would stay "open" until the next keep-alive: the session is not idle, and a
 * reconnect (GET, or GET with Last-Event-ID) is refused with 409. On abort the
 * body is cancelled at once, which releases the stream in the SDK transport.
 *
 * `onChunk` sees every chunk of the body as it is passed on (byte counts and
 * outcome for the audit log and metrics).
 */
export function onResponseDone(response: Response, done: () => void, signal?: AbortSignal, onChunk?: (chunk: Uint8Array) => void): Response {
  if (response.body === null) {
    done();
    return response;
  }
  let finished = false;
  const onAbort = (): void => {
    finish();
    void reader.cancel(signal?.reason).catch(() => undefined);
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    signal?.removeEventListener('abort', onAbort);
    done();
  };
  const reader = response.body.getReader();
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          finish();
          controller.close();
        } else {
          // The audit line and metrics count the bytes written, before they go out (telemetry.ts).
          onChunk?.(chunk.value);
          controller.enqueue(chunk.value);
        }
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason).catch(() => undefined);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
