/**
 * Read-time filtering by the reader's scopes. Whatever a tool, resource or
 * prompt returns may hold another definition's reading (a snapshot's top
 * processes are top_processes's, a change entry of a config file is
 * get_config's); definitions declare such parts (`scopedParts`, naming the
 * tool whose reading it is) and this module withholds each part from a
 * reader without that tool's scope — whoever produced or stored the data.
 * A kept part that is a tool's reading gets that tool's own declarations
 * applied in turn. Scopes are looked up from the definitions being served
 * (buildServer registers its catalogue's tools), never from a list kept here;
 * a name that is not a registered tool fails closed (hostlens:admin).
 */
import type { ToolDefinition } from './types.js';
import type { Reader, ScopedPart } from '../contracts/reader.js';
import type { Scope } from '../contracts/scopes.js';
import { SCOPES } from '../contracts/scopes.js';
import { ADMIN_SCOPE, scopeOfTool } from '../contracts/scopes.js';

const byName = new Map<string, ToolDefinition>();

/**
 * Makes these tools' declared scopes and parts the ones readings are judged
 * by. Called with the catalogue of every server built; the definitions
 * themselves cannot import the catalogue (it imports them).
 */
export function registerReadings(tools: readonly ToolDefinition[]): void {
  for (const t of tools) if (!byName.has(t.name)) byName.set(t.name, t);
}

/** The registered tool of that name. */
export function toolNamed(name: string): ToolDefinition | undefined {
  return byName.get(name);
}

/** The scope guarding a tool's readings; an unknown name needs hostlens:admin, so a typo withholds rather than leaks. */
function scopeOfReading(tool: string): Scope {
  const def = toolNamed(tool);
  return def ? scopeOfTool(def) : ADMIN_SCOPE;
}

export function readerWith(scopes: Iterable<Scope>): Reader {
  const held: ReadonlySet<Scope> = new Set(scopes);
  return {
    scopes: held,
    scopeOf: scopeOfReading,
    may: (tool) => held.has(scopeOfReading(tool)),
  };
}

/** Every scope: stdio, auth off, and in-process callers that read as the server itself. */
export const EVERY_SCOPE: Reader = readerWith(SCOPES);

/** A withheld field: a string stays a string (so output schemas hold), anything else says why. */
function placeholder(value: unknown, requiredScope: Scope): unknown {
  return typeof value === 'string' ? `[withheld: needs ${requiredScope}]` : { withheld: true, requiredScope };
}

interface Filtered<T> {
  value: T;
  /** The declared parts (by path) that are out of this reader's scopes, with the scope each needs. */
  withheld: Array<{ path: string; requiredScope: Scope }>;
}

type Step = { key: string } | { each: true } | { members: true };

function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  for (const seg of path.split('.')) {
    const list = seg.endsWith('[]');
    const key = list ? seg.slice(0, -2) : seg;
    if (key === '*') steps.push({ members: true });
    else if (key !== '') steps.push({ key });
    if (list) steps.push({ each: true });
  }
  return steps;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `value` with every declared part the reader may not see withheld, and the
 * parts it may see filtered by their own tool's declarations. Never mutates
 * its input (stored evidence stays as captured).
 */
export function filterParts<T>(value: T, parts: readonly ScopedPart[] | undefined, reader: Reader, depth = 0): Filtered<T> {
  const withheld: Filtered<T>['withheld'] = [];
  if (!parts || parts.length === 0 || depth > 4) return { value, withheld };
  let out: unknown = value;
  for (const part of parts) {
    const steps = parsePath(part.path);
    if (steps.length === 0) continue;
    // A statically guarded part is announced whether or not this result holds one, so the notice reveals nothing.
    if (typeof part.from === 'string' && !reader.may(part.from)) withheld.push({ path: part.path, requiredScope: reader.scopeOf(part.from) });
    out = applyPart(out, steps, part, reader, null, depth);
  }
  return { value: out as T, withheld };
}

/** Decides one value at the end of a path: kept (filtered by its tool's own parts) or withheld (undefined = drop). */
function decide(value: unknown, parent: unknown, part: ScopedPart, reader: Reader, depth: number): { keep: unknown } | { drop: Scope } | { replace: unknown } {
  if (part.when && !part.when(value, parent)) return { keep: value };
  const tool = typeof part.from === 'string' ? part.from : part.from(value, parent);
  if (tool === null) return { keep: value };
  if (reader.may(tool)) return { keep: filterParts(value, toolNamed(tool)?.scopedParts, reader, depth + 1).value };
  const scope = reader.scopeOf(tool);
  if (typeof part.as === 'function') return { replace: part.as(value, scope) };
  return { drop: scope };
}

function applyPart(node: unknown, steps: Step[], part: ScopedPart, reader: Reader, parent: unknown, depth: number): unknown {
  const [step, ...rest] = steps;
  if (!step) return node;
  const last = rest.length === 0;
  if ('each' in step) {
    if (!Array.isArray(node)) return node;
    const out: unknown[] = [];
    for (const item of node) {
      if (!last) {
        out.push(applyPart(item, rest, part, reader, node, depth));
        continue;
      }
      const d = decide(item, parent, part, reader, depth);
      if ('keep' in d) out.push(d.keep);
      else if ('replace' in d) out.push(d.replace);
    }
    return out;
  }
  if (!isObject(node)) return node;
  const keys = 'members' in step ? Object.keys(node) : Object.hasOwn(node, step.key) ? [step.key] : [];
  if (keys.length === 0) return node;
  const copy: Record<string, unknown> = { ...node };
  for (const key of keys) {
    const child = node[key];
    if (!last) {
      copy[key] = applyPart(child, rest, part, reader, node, depth);
      continue;
    }
    const d = decide(child, node, part, reader, depth);
    if ('keep' in d) copy[key] = d.keep;
    else if ('replace' in d) copy[key] = d.replace;
    else if (part.as === 'remove') delete copy[key];
    else copy[key] = placeholder(child, d.drop);
  }
  return copy;
}

/** One warning per withheld part, naming the scope that would show it. */
export function withheldWarnings(withheld: Filtered<unknown>['withheld']): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const w of withheld) {
    const text = `${w.path} is withheld from this result: it needs the scope ${w.requiredScope}`;
    if (!seen.has(text)) {
      seen.add(text);
      out.push(text);
    }
  }
  return out;
}
