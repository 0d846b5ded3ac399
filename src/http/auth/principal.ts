/**
 * Who is calling. Every /mcp request carries one principal after
 * authentication; with auth off (the loopback default) it is `anonymous`
 * holding every scope. Limits, audit and metrics key on `principal.id`.
 */
import type { AuthInfo } from '@modelcontextprotocol/server';
import { isScope, SCOPES } from './scopes.js';
import type { Scope } from './scopes.js';

export type PrincipalKind = 'anonymous' | 'static' | 'oauth';

export interface Principal {
  /** 'static:<name>' | 'oauth:<iss>#<sub or client_id>' | 'anonymous' */
  id: string;
  kind: PrincipalKind;
  scopes: ReadonlySet<Scope>;
  expiresAtMs?: number;
}

export const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous', kind: 'anonymous', scopes: new Set<Scope>(SCOPES) });

function kindOf(id: string): PrincipalKind {
  if (id.startsWith('static:')) return 'static';
  if (id.startsWith('oauth:')) return 'oauth';
  return id === 'anonymous' ? 'anonymous' : 'oauth';
}

/**
 * The principal an SDK AuthInfo stands for (hostlens's authenticator puts the
 * principal id in `clientId`). No AuthInfo (auth off, stdio) → anonymous with
 * every scope. Unknown scope strings are dropped.
 */
export function principalOf(authInfo?: AuthInfo): Principal {
  if (!authInfo) return ANONYMOUS;
  const id = authInfo.clientId;
  const kind = (authInfo.extra?.principalKind as PrincipalKind | undefined) ?? kindOf(id);
  const principal: Principal = { id, kind, scopes: new Set(authInfo.scopes.filter(isScope)) };
  if (authInfo.expiresAt !== undefined) principal.expiresAtMs = authInfo.expiresAt * 1000;
  return principal;
}

/** The scopes of a request's AuthInfo (all of them without one). */
export function scopesOf(authInfo?: AuthInfo): ReadonlySet<Scope> {
  return principalOf(authInfo).scopes;
}
