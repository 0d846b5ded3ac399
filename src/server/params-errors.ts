/**
 * Malformed params of a spec request are -32602 Invalid params. The SDK
 * (2.4.0) validates a spec method's request inside the handler wrapper it
 * builds in setRequestHandler and throws a plain Error on failure, which the
 * protocol layer turns into -32603 Internal error with the raw zod issue
 * list. This hook validates first, with the same codec, and throws a
 * ProtocolError(InvalidParams) naming the method (message clipped) instead.
 * tools/call keeps the SDK's own check (already -32602).
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { McpServer } from '@modelcontextprotocol/server';
import { clipString } from '../collectors/read.js';

type Handler = (request: unknown, ctx: unknown) => unknown;
interface Outcome {
  ok: boolean;
  reason?: string;
  message?: string;
}
interface Codec {
  validateRequest(method: string, request: unknown): Outcome;
  validateInputRequest(method: string, request: unknown): Outcome;
}
/** The low-level Server internals this relies on (SDK 2.4.0). */
interface ServerInternals {
  _wrapHandler(method: string, handler: Handler): Handler;
  _negotiatedWireCodec(): Codec;
  _requestHandlers: Map<string, Handler>;
}

export function invalidParamsForMalformedRequests(server: McpServer): void {
  const low = server.server as unknown as ServerInternals;
  if (typeof low._wrapHandler !== 'function' || typeof low._negotiatedWireCodec !== 'function' || !(low._requestHandlers instanceof Map)) return;
  const checked =
    (method: string, handler: Handler): Handler =>
    (request, ctx) => {
      const codec = low._negotiatedWireCodec();
      let outcome = codec.validateRequest(method, request);
      if (!outcome.ok && outcome.reason === 'not-in-era') outcome = codec.validateInputRequest(method, request);
      // 'not-in-era' (no schema: a custom or other-era method) is left to the SDK.
      if (!outcome.ok && outcome.reason !== 'not-in-era') {
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid params for ${method}: ${clipString(String(outcome.message ?? 'malformed'), 500)}`);
      }
      return handler(request, ctx);
    };
  // Handlers the constructor already installed (initialize, ping, …), then every one installed later.
  for (const [method, handler] of low._requestHandlers) if (method !== 'tools/call') low._requestHandlers.set(method, checked(method, handler));
  const wrap = low._wrapHandler.bind(low);
  low._wrapHandler = (method, handler) => (method === 'tools/call' ? wrap(method, handler) : wrap(method, checked(method, handler)));
}
