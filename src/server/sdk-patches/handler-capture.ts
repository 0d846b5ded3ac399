/**
 * The request handlers McpServer builds for prompts, resources and
 * completion, captured once so every per-session or per-request server can
 * install the same ones (../shared.ts). McpServer has no public way to hand
 * its handlers out: it installs them, lazily on the first register* call,
 * through its low-level Server's setRequestHandler. This replaces that
 * method on one never-connected template instance and keeps what it is
 * given (README.md, "Handler capture"). Checked: setRequestHandler is still a
 * 3-parameter function, and after registration every method McpServer must
 * have installed (the caller's, plus completion/complete when the template
 * advertises completions) was captured; otherwise SdkPatchError names it.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { requireMembers, SdkPatchError } from './members.js';
import type { MemberSpec } from './members.js';

const PATCH = 'handler-capture';

export type Handler = Parameters<McpServer['server']['setRequestHandler']>[1];
export type Method = Parameters<McpServer['server']['setRequestHandler']>[0];

export const CAPTURE_MEMBERS: readonly MemberSpec[] = [
  { name: 'setRequestHandler', kind: 'function', arity: 3 },
  { name: 'getCapabilities', kind: 'function', arity: 0 },
];

/** Throws SdkPatchError unless `server` (an McpServer's `server`) still has the setRequestHandler the capture replaces. */
export function checkHandlerCapture(server: unknown): void {
  requireMembers(PATCH, 'Server', server, CAPTURE_MEMBERS);
}

/**
 * Calls `register` with a never-connected McpServer built without capabilities (so its constructor
 * installs nothing) and returns the handlers of `methods` McpServer installed meanwhile, exactly as
 * it built them. Every method in `required` must be among them.
 */
export function captureRequestHandlers(register: (template: McpServer) => void, methods: ReadonlySet<string>, required: ReadonlySet<string>): Map<Method, Handler> {
  const template = new McpServer({ name: 'hostlens-shared', version: '0' });
  checkHandlerCapture(template.server);
  const handlers = new Map<Method, Handler>();
  const seen = new Set<string>();
  const low = template.server as unknown as { setRequestHandler(method: Method, handler: Handler): void };
  low.setRequestHandler = (method, handler) => {
    if (typeof handler !== 'function') throw new Error(`shared handler for ${String(method)} must be a function`);
    seen.add(method);
    if (methods.has(method)) handlers.set(method, handler);
  };
  register(template);
  const expected = new Set(required);
  // McpServer advertises completions exactly when it installs completion/complete.
  if (template.server.getCapabilities().completions !== undefined && methods.has('completion/complete')) expected.add('completion/complete');
  for (const method of expected) {
    if (!seen.has(method)) throw new SdkPatchError(PATCH, 'Server.setRequestHandler', `was not called for ${method}: McpServer no longer installs that handler through it`);
  }
  return handlers;
}
