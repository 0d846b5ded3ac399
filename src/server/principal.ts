/**
 * Who is calling. Every /mcp request carries one principal after
 * authentication. With auth off (the loopback default) an HTTP request is
 * `local:uid:<n>`, the local user the kernel says owns the connecting socket
 * (src/http/local-peers.ts), holding every scope; stdio and in-process calls
 * without AuthInfo are `anonymous` with every scope. Limits, audit and
 * metrics key on `principal.id`.
 */
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Reader } from '../contracts/reader.js';
import { EVERY_SCOPE, readerWith } from '../definitions/reader-scope.js';
import { isScope, SCOPES } from '../contracts/scopes.js';
import type { Scope } from '../contracts/scopes.js';

type PrincipalKind = 'anonymous' | 'local' | 'static' | 'oauth';

export interface Principal {
  /** 'static:<name>' | 'oauth:<iss>#<sub or client_id>' | 'local:uid:<n>' | 'anonymous' */
  id: string;
  kind: PrincipalKind;
  scopes: ReadonlySet<Scope>;
  expiresAtMs?: number;
}

export const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous', kind: 'anonymous', scopes: new Set<Scope>(SCOPES) });

/**
 * The AuthInfo of a local user with auth off: every scope, like anonymous,
 * but an identity per uid (`local:uid:<n>`), so sessions, limits and the
 * audit log tell local users apart. `token` is empty: no token exists.
 */
export function localAuthInfo(uid: number): AuthInfo {
  return { token: '', clientId: `local:uid:${uid}`, scopes: [...SCOPES], extra: { principalKind: 'local' } };
}

function kindOf(id: string): PrincipalKind {
  if (id.startsWith('local:uid:')) return 'local';
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

/** The reader a request stands for (its AuthInfo's scopes; every scope without one). */
export function readerOf(authInfo?: AuthInfo): Reader {
  return authInfo ? readerWith(scopesOf(authInfo)) : EVERY_SCOPE;
}
