/**
 * Malformed params of a spec request are -32602 Invalid params. The SDK
 * (2.4.0) validates a spec method's request inside the handler wrapper it
 * builds in setRequestHandler and throws a plain Error on failure, which the
 * protocol layer turns into -32603 Internal error with the raw zod issue
 * list. This hook validates first, with the same codec, and throws a
 * ProtocolError(InvalidParams) naming the method (message clipped) instead.
 * tools/call keeps the SDK's own check (already -32602). Every handler's
 * protocol errors also leave with client-chosen text clipped (clippingEchoes).
 * The hooks into the SDK's dispatch live in sdk-patches/request-handlers.ts.
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { McpServer } from '@modelcontextprotocol/server';
import { clipEcho, clipEchoData } from './jsonrpc-errors.js';
import { specRequestValidator, wrapEveryRequestHandler } from './sdk-patches/request-handlers.js';
import type { RequestHandler as Handler } from './sdk-patches/request-handlers.js';

export function invalidParamsForMalformedRequests(server: McpServer): void {
  const problemOf = specRequestValidator(server);
  const checked =
    (method: string, handler: Handler): Handler =>
    (request, ctx) => {
      const problem = problemOf(method, request);
      if (problem !== null) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid params for ${method}: ${clipEcho(problem, 500)}`);
      return handler(request, ctx);
    };
  // Handlers the constructor already installed (initialize, ping, …), then every one installed later.
  wrapEveryRequestHandler(server, (method, handler) => clippingEchoes(method === 'tools/call' ? handler : checked(method, handler)));
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
