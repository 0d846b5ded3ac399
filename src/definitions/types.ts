/**
 * The declarative shape of everything hostlens serves. One file per tool,
 * resource and prompt exports one of these; `server/` turns the catalogue
 * into an McpServer. Definitions never touch the SDK or HTTP.
 */
import type { z } from 'zod';
import type { Reader, ScopedPart } from '../contracts/reader.js';
import type { Scope, Toolset } from '../contracts/scopes.js';
import type { ServedTools } from '../diagnostics/triage-next-steps.js';
import type { Services } from './host-services.js';

export interface ToolContext {
  services: Services;
  /** The principal reading the result (set by the server for every call). */
  reader?: Reader;
  /** The tools this server serves (its enabled toolsets): name → input schema. */
  served: ServedTools;
  /** Aborted on cancellation (legacy notifications/cancelled) or client disconnect (modern). */
  signal: AbortSignal;
  /** Reports progress in [0, 1]; a no-op when the client gave no progressToken. */
  progress(fraction: number, message?: string): Promise<void>;
}

/**
 * The primary list of a paged tool result (see tools/paging.ts): `data[field]`
 * holds items `offset…` of `total`. The server may cut that list further to
 * fit maxResultBytes and then gives a nextCursor that continues from there.
 */
export interface ToolPage {
  field: string;
  offset: number;
  total: number;
  /** Every argument that shaped the list except the cursor. */
  query: unknown;
}

/** A resource the result points to (e.g. diag://snapshots/{id}); sent as a resource_link content block. */
interface ToolLink {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

/** What a tool handler returns; the builder adds `host` and `collectedAt`. */
export interface ToolOutput<D> {
  data: D;
  assessments?: import('../contracts/assessment.js').Assessment[];
  windowSec?: number;
  truncated?: { returned: number; total: number; nextCursor?: string };
  page?: ToolPage;
  links?: ToolLink[];
  warnings?: string[];
}

/** What an example's arguments may depend on: the pid of the hostlens process that serves the call. */
export interface ExampleContext {
  serverPid: number;
}

/** A small valid call of a tool. Never sent to clients (tools/list stays small); tests call every tool with its first. */
interface ToolExample<I extends z.ZodObject = z.ZodObject> {
  args: z.input<I> | ((ctx: ExampleContext) => z.input<I>);
  /** What the answer depends on, when it is not the obvious one. */
  why?: string;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, D extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  /** Written for an agent: what it answers, when to call it, what the units are. */
  description: string;
  toolset: Toolset;
  /** The scope a caller needs, when it differs from the toolset's default (scopes.ts). */
  scope?: Scope;
  input: I;
  /** The smallest valid calls, first the one tests make; required when `input` has required arguments. */
  examples?: ReadonlyArray<ToolExample<I>>;
  /** Schema of `data`; the builder wraps it in the standard envelope. */
  data: D;
  /** Overrides of the defaults readOnlyHint/idempotentHint true, openWorldHint/destructiveHint false. */
  annotations?: { idempotentHint?: boolean };
  /** Deadline for one call in seconds, when this tool needs another than toolTimeoutSec (server/tool-limits.ts). */
  timeoutSec?: number;
  /** Parts of `data` that need another tool's scope to be seen. */
  scopedParts?: readonly ScopedPart[];
  handler(args: z.infer<I>, ctx: ToolContext): Promise<ToolOutput<z.infer<D>>>;
  /** A compact text rendering of the result, for clients that read only `content`. */
  render(output: ToolOutput<z.infer<D>>): string;
}

export interface ResourceDefinition {
  name: string;
  uri: string;
  /** The scope a reader needs (default hostlens:read). */
  scope?: Scope;
  title: string;
  description: string;
  mimeType: string;
  /** Cache hint for modern clients (ms). */
  ttlMs: number;
  /** Parts of the (JSON) body that need another tool's scope to be seen. */
  scopedParts?: readonly ScopedPart[];
  /** `reader`: the principal reading (the server always passes it; in-process callers without one read as the server, with every scope). */
  /** `served`: the tools this server serves (for results that suggest calls); in-process callers may leave it out. */
  read(services: Services, reader?: Reader, served?: ServedTools): Promise<string> | string;
}

/**
 * A family of resources addressed by an RFC 6570 URI template such as
 * `diag://runbooks/{topic}`. `list` enumerates the concrete resources (for
 * resources/list), `complete` offers values for a variable, and `read` answers
 * one URI; an unknown id throws a not_found HostlensError, never a stack trace.
 */
export interface ResourceTemplateDefinition {
  name: string;
  uriTemplate: string;
  /** The scope a reader needs for every member (default hostlens:read). */
  scope?: Scope;
  title: string;
  description: string;
  mimeType: string;
  /** Cache hint for modern clients (ms). */
  ttlMs: number;
  list?(services: Services, reader?: Reader): Array<{ uri: string; name: string; title?: string; description?: string }>;
  complete?: Record<string, (value: string, services: Services) => string[]>;
  /** Per completed variable, the tool whose reading the values reveal (null: a fixed list); required for every `complete` entry. */
  completeFrom?: Record<string, string | null>;
  /** Parts of the (JSON) body that need another tool's scope to be seen. */
  scopedParts?: readonly ScopedPart[];
  read(uri: URL, variables: Record<string, string>, services: Services, reader?: Reader): Promise<string> | string;
}

interface PromptMessageText {
  role: 'user' | 'assistant';
  text: string;
}

export interface PromptDefinition<A extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  args: A;
  /** Completion sources per argument name. */
  complete?: Partial<Record<keyof z.infer<A> & string, (value: string, services: Services) => string[]>>;
  /** Per completed argument, the tool whose reading the values reveal (null: a fixed list); required for every `complete` entry. */
  completeFrom?: Partial<Record<keyof z.infer<A> & string, string | null>>;
  build(args: z.infer<A>, services: Services, reader?: Reader): PromptMessageText[];
}

/** Identity helpers that keep each definition's types tied together. */
export function defineTool<I extends z.ZodObject, D extends z.ZodType>(def: ToolDefinition<I, D>): ToolDefinition<I, D> {
  return def;
}
export function definePrompt<A extends z.ZodObject>(def: PromptDefinition<A>): PromptDefinition<A> {
  return def;
}

/** The shape of what a server serves: every tool, resource, template and prompt. */
export interface Catalogue {
  tools: readonly ToolDefinition[];
  resources: readonly ResourceDefinition[];
  /** Optional so small test catalogues can leave it out. */
  templates?: readonly ResourceTemplateDefinition[];
  prompts: readonly PromptDefinition[];
}
