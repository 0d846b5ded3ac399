/**
 * Malformed params of a spec request are -32602 Invalid params. The SDK
 * (2.4.0) validates a spec method's request inside the handler wrapper it
 * builds in setRequestHandler and throws a plain Error on failure, which the
 * protocol layer turns into -32603 Internal error with the raw zod issue
 * list. This hook validates first, with the same codec, and throws a
 * ProtocolError(InvalidParams) naming the method (message clipped) instead.
 * tools/call keeps the SDK's own check (already -32602). Every handler's
 * protocol errors also leave with client-chosen text clipped (clippingEchoes).
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { McpServer } from '@modelcontextprotocol/server';
import { clipEcho, clipEchoData } from './jsonrpc-errors.js';

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
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid params for ${method}: ${clipEcho(String(outcome.message ?? 'malformed'), 500)}`);
      }
      return handler(request, ctx);
    };
  const echoing = (handler: Handler): Handler => clippingEchoes(handler);
  // Handlers the constructor already installed (initialize, ping, …), then every one installed later.
  for (const [method, handler] of low._requestHandlers) low._requestHandlers.set(method, echoing(method === 'tools/call' ? handler : checked(method, handler)));
  const wrap = low._wrapHandler.bind(low);
  low._wrapHandler = (method, handler) => (method === 'tools/call' ? wrap(method, echoing(handler)) : wrap(method, echoing(checked(method, handler))));
}

/**
 * The SDK's own errors echo what the client sent ("Tool <name> not found", "Prompt <name> not found",
 * "Resource not found: <uri>" with data.uri): a 3 MB name came back as a 3 MB error. Every protocol
 * error a handler throws leaves with its message and data clipped (clipEcho: 256 characters).
 */
function clippingEchoes(handler: Handler): Handler {
  const clip = (error: unknown): unknown => {
    if (error instanceof ProtocolError) {
      if (error.message.length > 256) error.message = clipEcho(error.message);
      if (error.data !== undefined) (error as { data: unknown }).data = clipEchoData(error.data);
    }
    return error;
  };
  return (request, ctx) => {
    try {
      const out = handler(request, ctx);
      return out instanceof Promise ? out.catch((error: unknown) => Promise.reject(clip(error))) : out;
    } catch (error) {
      throw clip(error);
    }
  };
}
