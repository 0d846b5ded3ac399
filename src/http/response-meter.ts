/**
 * Watches the bytes of one /mcp response as they are written (see
 * track.ts onResponseDone's onChunk) and learns, without changing them:
 * how many bytes were sent, whether the JSON-RPC response was an error (its
 * code) or a tool result with `isError: true`, and how many values the
 * result shows as [REDACTED] (a tool envelope's `redactions`, else the
 * [REDACTED] markers in the result).
 *
 * JSON bodies are kept (up to MAX_PARSE_BYTES) and looked at once at the
 * end; SSE bodies line by line (each `data:` line is one message). A message
 * is parsed only when its text could matter (it mentions "error", "isError"
 * or [REDACTED]), so an ordinary result costs a few substring searches.
 */

const MAX_PARSE_BYTES = 4 * 1024 * 1024;
const REDACTED = '[REDACTED]';

interface MeterResult {
  bytes: number;
  /** The response's JSON-RPC error code, when the answer was an error. */
  rpcErrorCode: number | null;
  /** A tools/call result with isError: true. */
  toolError: boolean;
  /** Values the result shows as [REDACTED]. */
  redactions: number;
  /** The response was an event stream. */
  sse: boolean;
}

export interface ResponseMeter {
  /** The response is an event stream. */
  readonly sse: boolean;
  chunk(bytes: Uint8Array): void;
  /** Final figures (call after the body ended or was cancelled). */
  result(): MeterResult;
}

function countMarkers(text: string): number {
  let n = 0;
  for (let i = text.indexOf(REDACTED); i !== -1; i = text.indexOf(REDACTED, i + REDACTED.length)) n += 1;
  return n;
}

export function createResponseMeter(contentType: string | null): ResponseMeter {
  const sse = /^text\/event-stream\b/i.test(contentType ?? '');
  const out: MeterResult = { bytes: 0, rpcErrorCode: null, toolError: false, redactions: 0, sse };
  let parts: Uint8Array[] = [];
  let kept = 0;
  let overflow = false;
  const decoder = sse ? new TextDecoder() : null;
  let line = '';
  let skipLine = false;
  let done = false;

  const message = (text: string): void => {
    const mayError = text.includes('"error"') || text.includes('"isError"');
    const mayRedact = text.includes(REDACTED);
    if (!mayError && !mayRedact) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
      if (m === null || typeof m !== 'object' || !('id' in m)) continue;
      const { error, result } = m as { error?: { code?: unknown }; result?: Record<string, unknown> };
      if (error && typeof error === 'object') {
        out.rpcErrorCode = typeof error.code === 'number' ? error.code : -32603;
        continue;
      }
      if (!result || typeof result !== 'object') continue;
      if (result.isError === true) out.toolError = true;
      if (!mayRedact) continue;
      const envelope = result.structuredContent as { redactions?: unknown } | undefined;
      out.redactions += typeof envelope?.redactions === 'number' ? envelope.redactions : countMarkers(JSON.stringify(result.contents ?? result.messages ?? result.content ?? ''));
    }
  };

  const sseText = (text: string): void => {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (!skipLine) {
        const full = line + piece;
        if (full.startsWith('data:')) message(full.slice(5).trim());
      }
      line = '';
      skipLine = false;
    }
    if (skipLine) return;
    line += text.slice(start);
    if (line.length > MAX_PARSE_BYTES) {
      line = '';
      skipLine = true;
    }
  };

  return {
    sse,
    chunk(bytes) {
      out.bytes += bytes.byteLength;
      if (sse) {
        sseText(decoder!.decode(bytes, { stream: true }));
        return;
      }
      if (overflow) return;
      kept += bytes.byteLength;
      if (kept > MAX_PARSE_BYTES) {
        overflow = true;
        parts = [];
        return;
      }
      parts.push(bytes);
    },
    result() {
      if (!done) {
        done = true;
        if (sse) sseText(`${decoder!.decode()}\n`);
        else if (!overflow && parts.length > 0) message(Buffer.concat(parts).toString('utf8'));
        parts = [];
      }
      return { ...out };
    },
  };
}
