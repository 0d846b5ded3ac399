/**
 * Who reads a result, and which parts of a result are another tool's
 * reading (definitions/reader-scope.ts applies these at read time, whoever
 * produced the data).
 */
import type { Scope } from './scopes.js';

/**
 * A part of a result that is another definition's reading: only a reader
 * holding that definition's scope sees it.
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
