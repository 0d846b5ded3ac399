/**
 * Hooks into the low-level Server's request dispatch that the SDK does not
 * expose (README.md, "Request handler hooks"): wrapping every request
 * handler, those the constructor installs (initialize, ping, …) and every
 * one installed later, and running the SDK's own wire validation of a spec
 * request in the server's negotiated era. ../params-errors.ts uses them to
 * answer malformed params -32602 instead of -32603 and to clip echoes.
 * Members used: Server._wrapHandler (protected), Server._requestHandlers and
 * Server._negotiatedWireCodec (private), and the codec's validateRequest and
 * validateInputRequest (the WireCodec type is not exported); each is checked
 * before anything is replaced.
 */
import type { McpServer } from '@modelcontextprotocol/server';
import { requireMembers } from './members.js';
import type { MemberSpec } from './members.js';

const PATCH = 'request-handlers';

export type RequestHandler = (request: unknown, ctx: unknown) => unknown;
type HandlerWrapper = (method: string, handler: RequestHandler) => RequestHandler;

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
  _wrapHandler(method: string, handler: RequestHandler): RequestHandler;
  _negotiatedWireCodec(): Codec;
  _requestHandlers: Map<string, RequestHandler>;
}

export const SERVER_MEMBERS: readonly MemberSpec[] = [
  { name: '_wrapHandler', kind: 'function', arity: 2 },
  { name: '_requestHandlers', kind: 'map' },
  { name: '_negotiatedWireCodec', kind: 'function', arity: 0 },
];
/** validateInputRequest's arity is not checked: the 2025-era codec's takes none (it answers not-in-era for every method). */
export const CODEC_MEMBERS: readonly MemberSpec[] = [
  { name: 'validateRequest', kind: 'function', arity: 2 },
  { name: 'validateInputRequest', kind: 'function' },
];

/** Throws SdkPatchError naming the Server member (an McpServer's `server`) the hooks need and `server` lacks. */
export function checkRequestHandlerHooks(server: unknown): asserts server is ServerInternals {
  requireMembers(PATCH, 'Server', server, SERVER_MEMBERS);
}

/** Throws SdkPatchError naming the wire codec member `codec` lacks. */
export function checkWireCodec(codec: unknown): asserts codec is Codec {
  requireMembers(PATCH, 'WireCodec', codec, CODEC_MEMBERS);
}

function internalsOf(server: McpServer): ServerInternals {
  const low: unknown = server.server;
  checkRequestHandlerHooks(low);
  checkWireCodec(low._negotiatedWireCodec());
  return low;
}

/** Wraps every request handler of `server`: those installed already, then every one installed later (inside the SDK's own wrapper). */
export function wrapEveryRequestHandler(server: McpServer, wrap: HandlerWrapper): void {
  const low = internalsOf(server);
  for (const [method, handler] of low._requestHandlers) low._requestHandlers.set(method, wrap(method, handler));
  const sdkWrap = low._wrapHandler.bind(low);
  low._wrapHandler = (method, handler) => sdkWrap(method, wrap(method, handler));
}

/**
 * The SDK's own validation of a spec request, as its handler wrapper runs it later: the problem
 * (the SDK's message, the raw issue list) when `request` is malformed for `method` in the server's
 * negotiated era at the time of the call, null when it is well-formed or the era has no schema for
 * `method` (a custom or other-era method, left to the SDK).
 */
export function specRequestValidator(server: McpServer): (method: string, request: unknown) => string | null {
  const low = internalsOf(server);
  return (method, request) => {
    const codec = low._negotiatedWireCodec();
    let outcome = codec.validateRequest(method, request);
    if (!outcome.ok && outcome.reason === 'not-in-era') outcome = codec.validateInputRequest(method, request);
    if (outcome.ok || outcome.reason === 'not-in-era') return null;
    return String(outcome.message ?? 'malformed');
  };
}
