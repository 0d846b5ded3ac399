/**
 * The declarative shape of everything hostlens serves. One file per tool,
 * resource and prompt exports one of these; `server/` turns the catalogue
 * into an McpServer. Definitions never touch the SDK or HTTP.
 */
import type { z } from 'zod';
import type { Services } from './host-services.js';

/** Groups of tools enabled together (`--toolsets core,config` / HOSTLENS_TOOLSETS); `core` is the default. */
export const TOOLSETS = ['core', 'network', 'logs', 'containers', 'fleet', 'history', 'config', 'backends', 'network-probe'] as const;
export type Toolset = (typeof TOOLSETS)[number];

/** OAuth scopes a principal may hold (src/http/auth/scopes.ts maps tools and resources to them). */
export const SCOPES = ['hostlens:read', 'hostlens:processes', 'hostlens:logs', 'hostlens:config', 'hostlens:admin'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * A part of a result that is another definition's reading: only a reader
 * holding that definition's scope sees it (server/reader-scope.ts applies
 * these at read time, whoever produced the data).
 */
export interface ScopedPart {
  /** Dotted keys from the result's root; `[]` steps into every element of an array, `*` into every member of an object. */
  path: string;
  /** The tool whose reading this is (its declared scope guards it); a function names it per value (null = not guarded). */
  from: string | ((value: unknown, parent: unknown) => string | null);
  /** Only values this accepts are guarded (default: all). */
  when?: (value: unknown, parent: unknown) => boolean;
  /** What a withheld value becomes: default, an array element is dropped and a field gets a placeholder; 'remove' drops the key. */
  as?: 'remove' | ((value: unknown, requiredScope: Scope) => unknown);
}

/** Who reads a result: the scopes of the request's principal (every scope without authentication). */
export interface Reader {
  readonly scopes: ReadonlySet<Scope>;
  /** The scope guarding what the named tool returns. */
  scopeOf(tool: string): Scope;
  /** Whether this reader may see what the named tool returns. */
  may(tool: string): boolean;
}

export interface ToolContext {
  services: Services;
  /** The principal reading the result (set by the server for every call). */
  reader?: Reader;
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
export interface ToolLink {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

/** What a tool handler returns; the builder adds `host` and `collectedAt`. */
export interface ToolOutput<D> {
  data: D;
  assessments?: import('../diagnostics/assessment.js').Assessment[];
  windowSec?: number;
  truncated?: { returned: number; total: number; nextCursor?: string };
  page?: ToolPage;
  links?: ToolLink[];
  warnings?: string[];
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
  read(services: Services, reader?: Reader): Promise<string> | string;
}

/**
 * A family of resources addressed by an RFC 6570 URI template such as
 * `diag://runbooks/{topic}`. `list` enumerates the concrete resources (for
 * resources/list), `complete` offers values for a variable, and `read` answers
 * one URI; an unknown id throws ResourceNotFound, never a stack trace.
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

/** A prompt argument the prompt cannot use (unknown snapshot id, inverted time range): -32602 to the client. */
export class PromptArgumentError extends Error {
  override name = 'PromptArgumentError';
}

/** A resource the catalogue does not have (unknown snapshot id, runbook topic): -32002 to the client. */
export class ResourceNotFound extends Error {
  override name = 'ResourceNotFound';
}

export interface PromptMessageText {
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

/** A tool failure the agent can act on: becomes an `isError` result with this message. */
export class ToolError extends Error {
  override name = 'ToolError';
}
