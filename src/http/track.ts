/**
 * Wraps a Response so a callback runs exactly once when its body has been
 * fully sent, failed, or was cancelled by the client (for SSE this is when the
 * stream ends). Used for in-flight accounting, idle tracking and request logs.
 */
export function onResponseDone(response: Response, done: () => void): Response {
  if (response.body === null) {
    done();
    return response;
  }
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    done();
  };
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          finish();
          controller.close();
        } else {
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
