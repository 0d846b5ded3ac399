/**
 * The shape of a POST body, checked on the raw text BEFORE JSON.parse: nesting depth, members per object or
 * array, JSON values in all, messages in a batch and the length of the id. What it costs and why:
 *
 * - JSON.parse of a 3.5 MB body holding 300,000 argument keys takes ≈ 190 ms (node 20, measured), and the
 *   schema validation after it held the event loop 1.2–1.6 s; a 20,000-level array overflowed the stack of
 *   the SDK's message validation (500 -32603). This scan is one pass over the characters (strings skipped
 *   with indexOf) that stops at the first bound crossed: ≈ 11 ms for 4 MiB of whitespace or digits,
 *   < 1 ms for a 4 MiB plain string, ≈ 28 ms for 2 million escaped quotes (JSON.parse needs as long).
 * - Bounds (BODY_SHAPE_LIMITS) are far above what any MCP request needs (the widest legitimate one is a
 *   subscriptions/listen filter of 64 URIs; tool arguments hold a few dozen values) and far below what
 *   takes measurable time to parse and validate.
 * - Strings are not counted: a 4 MiB string parses in a few ms. Only the id is bounded, because every
 *   answer echoes it.
 * - Stricter than the SDK's own bound, McpServer's `maxToolInputElements` (unset by default): that one
 *   counts tools/call arguments after JSON.parse and schema work have been paid for, this one every
 *   request's whole body before either.
 *
 * A bound crossed inside `params` of a request is -32602 Invalid params (with the request's id when it
 * came before the bound crossed); anywhere else (the envelope itself, a batch) -32600 Invalid Request with id null. Text
 * that is not JSON is left to JSON.parse (-32700): the scan never throws.
 */
import { clipEcho } from './jsonrpc-errors.js';
import type { JsonRpcId } from './jsonrpc-errors.js';

interface BodyShapeLimits {
  /** Containers nested inside one another, the outermost counting 1. */
  maxDepth: number;
  /** Members of one object, elements of one array. */
  maxMembers: number;
  /** JSON values in the whole body (every member value, every array element, the root). */
  maxValues: number;
  /** Messages in a 2025-03-26 batch. */
  maxBatch: number;
  /** Characters of the id as sent (a string id's quotes excluded). */
  maxIdChars: number;
}

export const BODY_SHAPE_LIMITS: BodyShapeLimits = { maxDepth: 64, maxMembers: 1_000, maxValues: 10_000, maxBatch: 32, maxIdChars: 1_024 };

export interface ShapeRefusal {
  /** invalid_request -32600, invalid_argument -32602, method_not_found -32601 (HTTP 404, as the SDK answers an unknown method): error-mapping.ts. */
  code: 'invalid_request' | 'invalid_argument' | 'method_not_found';
  message: string;
  id: JsonRpcId;
  data?: unknown;
  /** The request's method and params.name when they came before the bound crossed (≤ 128 chars): for the request log and audit. */
  method?: string;
  name?: string;
}

const OBJECT = 0;
const ARRAY = 1;

/** Index of the quote closing the string whose opening quote is at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  let q = text.indexOf('"', open + 1);
  while (q !== -1) {
    let backslashes = 0;
    for (let k = q - 1; text.charCodeAt(k) === 92; k--) backslashes += 1;
    if (backslashes % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
  return -1;
}

/** A sentinel no JSON value can equal (a string sentinel was: a request with the id "too-long" was refused). */
const TOO_LONG: unique symbol = Symbol('id too long');

function idOf(raw: string | null, maxChars: number): JsonRpcId | typeof TOO_LONG {
  if (raw === null) return null;
  const t = raw.trim();
  if (t.length > maxChars + 2) return TOO_LONG;
  try {
    const v = JSON.parse(t) as unknown;
    return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? v : null;
  } catch {
    return null;
  }
}

/** The first bound `text` crosses, as the refusal to answer with; null when it stays within every bound (or is not JSON). */
export function bodyShapeProblem(text: string, limits: BodyShapeLimits = BODY_SHAPE_LIMITS): ShapeRefusal | null {
  const kinds: number[] = [];
  const members: number[] = [];
  let depth = 0;
  let values = 0;
  let expectValue = true;
  let topKind = -1;
  /** The member name being read at depth 1 of a top-level object (only short names are kept). */
  let key1: string | null = null;
  /** The member name being read at depth 2 inside `params`. */
  let key2: string | null = null;
  let method: string | undefined;
  let name: string | undefined;
  let idStart = -1;
  let idRaw: string | null = null;
  let problem: { message: string; inParams: boolean } | null = null;

  const cross = (message: string): void => {
    problem = { message, inParams: topKind === OBJECT && key1 === 'params' && depth >= 2 };
  };
  const startValue = (): void => {
    if (problem !== null) return;
    values += 1;
    if (values > limits.maxValues) cross(`more than ${limits.maxValues} JSON values`);
    if (depth > 0 && kinds[depth - 1] === ARRAY) countMember();
  };
  const countMember = (): void => {
    if (depth > limits.maxDepth || problem !== null) return;
    members[depth - 1] = (members[depth - 1] ?? 0) + 1;
    if (topKind === ARRAY && depth === 1 && members[0]! > limits.maxBatch) cross(`a batch carries at most ${limits.maxBatch} messages`);
    else if (members[depth - 1]! > limits.maxMembers) cross(`an object or array with more than ${limits.maxMembers} members`);
  };
  const endId = (end: number): void => {
    if (idStart >= 0 && idRaw === null) idRaw = text.slice(idStart, end);
  };

  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) continue;
    if (c === 34) {
      const end = closingQuote(text, i);
      if (end === -1) return null; // not JSON
      if (expectValue) {
        startValue();
        expectValue = false;
        if (depth === 1 && topKind === OBJECT && key1 === 'id' && idRaw === null) {
          idRaw = text.slice(i, end + 1);
          if (end - i - 1 > limits.maxIdChars) break;
        }
        const short = end - i - 1 <= 128 && topKind === OBJECT;
        if (short && depth === 1 && key1 === 'method') method = text.slice(i + 1, end);
        if (short && depth === 2 && key1 === 'params' && key2 === 'name') name = text.slice(i + 1, end);
      } else if (depth > 0 && kinds[depth - 1] === OBJECT) {
        const key = end - i - 1 <= 16 ? text.slice(i + 1, end) : null;
        if (depth === 1) key1 = key;
        else if (depth === 2) key2 = key;
        if (depth <= limits.maxDepth) countMember();
      }
      i = end;
    } else if (c === 123 || c === 91) {
      if (expectValue) startValue();
      if (depth === 0) topKind = c === 123 ? OBJECT : ARRAY;
      depth += 1;
      if (depth <= limits.maxDepth) {
        kinds[depth - 1] = c === 123 ? OBJECT : ARRAY;
        members[depth - 1] = 0;
      } else if (problem === null) {
        cross(`nesting deeper than ${limits.maxDepth} levels`);
      }
      expectValue = c === 91;
    } else if (c === 125 || c === 93) {
      if (depth === 1) endId(i);
      depth -= 1;
      if (depth < 0) return null; // not JSON
      expectValue = false;
    } else if (c === 44) {
      if (depth === 1) endId(i);
      // Beyond maxDepth the container kind is not tracked: whether a key or a value follows no longer matters.
      expectValue = depth > 0 && (depth > limits.maxDepth || kinds[depth - 1] === ARRAY);
    } else if (c === 58) {
      expectValue = true;
      if (depth === 1 && topKind === OBJECT && key1 === 'id' && idStart < 0) idStart = i + 1;
    } else if (expectValue) {
      // a number, true, false or null: counted once, its other characters pass through here unnoticed
      startValue();
      expectValue = false;
    }
    // Refused: the scan stops here. An id that comes after the bound crossed stays unread (null): reading on
    // to find it costs ≈ 30 ms for 300,000 keys, and clients send the id before params.
    if (problem !== null) break;
  }
  const id = idOf(idRaw, limits.maxIdChars);
  if (id === TOO_LONG) return { code: 'invalid_request', message: `Invalid Request: the id is longer than ${limits.maxIdChars} characters`, id: null };
  const found = problem as { message: string; inParams: boolean } | null;
  if (found === null) return null;
  const named = { ...(method !== undefined ? { method } : {}), ...(name !== undefined ? { name } : {}) };
  if (found.inParams) return { code: 'invalid_argument', message: `Invalid params: ${found.message} (the server's bound on a request's shape)`, id, ...named };
  return { code: 'invalid_request', message: `Invalid Request: ${found.message} (the server's bound on a request's shape)`, id: null, ...named };
}

/**
 * Methods whose answer is built from a whole catalogue or a whole resource: one tools/list costs ≈ 7 ms
 * of event loop and ≈ 100 KB of answer (measured, core toolset), and a batch's messages are all
 * dispatched in the same tick, so 32 of them held the loop ≈ 230 ms and answered 3.1 MB.
 */
const HEAVY_BATCH_METHODS: ReadonlySet<string> = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);
const MAX_HEAVY_PER_BATCH = 4;

/** A parsed 2025-03-26 batch with more heavy requests than MAX_HEAVY_PER_BATCH, as the refusal; null otherwise. */
export function batchProblem(body: unknown): ShapeRefusal | null {
  if (!Array.isArray(body)) return null;
  let heavy = 0;
  for (const m of body) if (m !== null && typeof m === 'object' && HEAVY_BATCH_METHODS.has((m as { method?: unknown }).method as string)) heavy += 1;
  if (heavy <= MAX_HEAVY_PER_BATCH) return null;
  return {
    code: 'invalid_request',
    message: `Invalid Request: a batch carries at most ${MAX_HEAVY_PER_BATCH} list or read requests (${[...HEAVY_BATCH_METHODS].join(', ')}); this one has ${heavy}: send the rest in further requests`,
    id: null,
  };
}

/**
 * Names and URIs a request carries are echoed by the errors about them, and the SDK builds those errors
 * (e.g. "Mcp-Name header does not match params.name …", "Tool … not found") with the whole value before
 * hostlens can clip them (errors.ts clipErrorResponse): a 3 MB name became a 6 MB string built, copied
 * and parsed again. Bounded here, on the parsed body, before the SDK sees it.
 * - method, tool, prompt and completion-ref names: 1,024 characters (spec methods are < 40; tool and prompt
 *   names are identifiers);
 * - resource URIs (read, subscribe, unsubscribe, a completion's ref/resource, a listen filter):
 *   16,384 characters: a config file's URI carries its path (get_config takes ≤ 4,096 characters), and
 *   percent-encoding may triple it;
 * - a string progressToken (params._meta.progressToken): 256 characters. Every progress notification of
 *   the call carries it back (a tool reports up to 100 of them): a 4 MB token made each one a 4 MB message.
 *   The spec lets the sender choose any string or integer and sets no length, so this is the server's bound
 *   on a param value: -32602 Invalid params, as for every bound crossed inside params.
 */
const MAX_NAME_CHARS = 1_024;
const MAX_URI_CHARS = 16_384;
const MAX_PROGRESS_TOKEN_CHARS = 256;

function messageEchoProblem(message: unknown): ShapeRefusal | null {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return null;
  const { method, params, id: rawId } = message as { method?: unknown; params?: unknown; id?: unknown };
  if (typeof method !== 'string') return null;
  const id: JsonRpcId = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
  if (method.length > MAX_NAME_CHARS) {
    return { code: 'method_not_found', message: `Method not found: a method name of ${method.length} characters (at most ${MAX_NAME_CHARS}): "${clipEcho(method, 64)}"`, id };
  }
  if (params === null || typeof params !== 'object') return null;
  const token = (params as { _meta?: { progressToken?: unknown } | null })._meta?.progressToken;
  if (typeof token === 'string' && token.length > MAX_PROGRESS_TOKEN_CHARS) {
    return { code: 'invalid_argument', message: `Invalid params: a progressToken of ${token.length} characters (at most ${MAX_PROGRESS_TOKEN_CHARS}): "${clipEcho(token, 64)}"`, id };
  }
  const p = params as { name?: unknown; uri?: unknown; ref?: { name?: unknown; uri?: unknown } | null; notifications?: { resourceSubscriptions?: unknown } | null };
  const names: Array<[string, unknown]> = [];
  const uris: unknown[] = [];
  if (method === 'tools/call') names.push(['tool name', p.name]);
  else if (method === 'prompts/get') names.push(['prompt name', p.name]);
  else if (method.startsWith('resources/')) uris.push(p.uri);
  else if (method === 'completion/complete' && p.ref !== null && typeof p.ref === 'object') {
    names.push(['completion ref name', p.ref.name]);
    uris.push(p.ref.uri);
  } else if (method === 'subscriptions/listen' && Array.isArray(p.notifications?.resourceSubscriptions)) uris.push(...(p.notifications.resourceSubscriptions as unknown[]).slice(0, 1_000));
  for (const [what, v] of names) {
    if (typeof v === 'string' && v.length > MAX_NAME_CHARS) {
      return { code: 'invalid_argument', message: `Invalid params: a ${what} of ${v.length} characters (at most ${MAX_NAME_CHARS}): "${clipEcho(v, 64)}"`, id };
    }
  }
  for (const v of uris) {
    if (typeof v === 'string' && v.length > MAX_URI_CHARS) {
      return { code: 'invalid_argument', message: `Invalid params: a resource URI of ${v.length} characters (at most ${MAX_URI_CHARS})`, id, data: { uri: clipEcho(v) } };
    }
  }
  return null;
}

/** The first over-long name or URI in a parsed body (a message or a batch's messages), as the refusal; null otherwise. */
export function echoProblem(body: unknown): ShapeRefusal | null {
  if (!Array.isArray(body)) return messageEchoProblem(body);
  for (const m of body) {
    const found = messageEchoProblem(m);
    // one answer for the whole batch: its id would not say which message
    if (found) return { ...found, id: null };
  }
  return null;
}
