/**
 * The install-time check every patch in this folder runs before it touches
 * an SDK member that is private, protected or marked @internal/@hidden in
 * @modelcontextprotocol/server's typings: each member must exist with the
 * kind and arity the pinned SDK (2.4.0) has, else the patch throws naming
 * the member. An SDK upgrade that renames, removes or re-signs one then
 * stops the server at startup (and contract.test.ts) instead of leaving a
 * workaround silently inert. README.md beside this file lists every member.
 */

export type MemberSpec =
  | { name: string; kind: 'function'; arity?: number }
  | { name: string; kind: 'map' }
  /** An own or inherited property (a getter counts); its value may be undefined. */
  | { name: string; kind: 'property' };

export class SdkPatchError extends Error {
  constructor(
    readonly patch: string,
    readonly member: string,
    problem: string,
  ) {
    super(`SDK patch "${patch}" (src/server/sdk-patches): ${member} ${problem}; the @modelcontextprotocol/server in use no longer matches what the patch was written against (2.4.0), see src/server/sdk-patches/README.md`);
    this.name = 'SdkPatchError';
  }
}

/** Throws SdkPatchError naming `${owner}.${member}` for the first spec `target` does not meet. */
export function requireMembers(patch: string, owner: string, target: unknown, specs: readonly MemberSpec[]): void {
  for (const spec of specs) {
    const member = `${owner}.${spec.name}`;
    if (target === null || (typeof target !== 'object' && typeof target !== 'function') || !(spec.name in target)) {
      throw new SdkPatchError(patch, member, 'is missing');
    }
    const value = (target as Record<string, unknown>)[spec.name];
    if (spec.kind === 'function') {
      if (typeof value !== 'function') throw new SdkPatchError(patch, member, `is no longer a function (${typeof value})`);
      if (spec.arity !== undefined && value.length !== spec.arity) {
        throw new SdkPatchError(patch, member, `takes ${value.length} parameters, not ${spec.arity}`);
      }
    } else if (spec.kind === 'map' && !(value instanceof Map)) {
      throw new SdkPatchError(patch, member, 'is no longer a Map');
    }
  }
}
