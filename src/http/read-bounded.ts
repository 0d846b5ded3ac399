/**
 * Reading a body stream with a size bound: the text, or null (the stream cancelled) once it exceeds `limit` bytes.
 * Request bodies use the SDK's readRequestBody; this is for a response fetched from elsewhere (the OAuth issuer's
 * metadata, auth/discovery.ts), which the SDK's reader would leave unread and uncancelled past the bound, keeping
 * the connection to the issuer busy until the garbage collector finds it.
 */
export async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string | null> {
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
