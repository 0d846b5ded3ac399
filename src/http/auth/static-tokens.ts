/**
 * Static bearer tokens for simple setups. The config holds only the SHA-256
 * of each token (`hostlens hash-token`), its name and its scopes; a
 * presented token is hashed and compared with every stored digest in
 * constant time (no early exit, so neither which token matched nor how much
 * of it did leaks through timing). The legacy `authToken` is the token
 * named `default` holding every scope.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SCOPES } from '../../contracts/scopes.js';
import type { Scope } from '../../contracts/scopes.js';

export interface StaticTokenConfig {
  name: string;
  /** 64 lower- or upper-case hex characters: sha256(token). */
  sha256: string;
  scopes: readonly Scope[];
}

interface StaticTokenMatch {
  name: string;
  scopes: readonly Scope[];
}

type StaticTokenVerifier = (token: string) => StaticTokenMatch | null;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The stored entry for the legacy single `authToken` (all scopes). */
export function legacyTokenEntry(token: string): StaticTokenConfig {
  return { name: 'default', sha256: sha256Hex(token), scopes: [...SCOPES] };
}

export function createStaticTokenVerifier(tokens: readonly StaticTokenConfig[]): StaticTokenVerifier {
  const stored = tokens.map((t) => ({ name: t.name, scopes: [...t.scopes], digest: Buffer.from(t.sha256.toLowerCase(), 'hex') }));
  for (const t of stored) if (t.digest.length !== 32) throw new Error(`static token "${t.name}": sha256 must be 64 hex characters`);
  return (token) => {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let match: (typeof stored)[number] | null = null;
    for (const t of stored) if (timingSafeEqual(presented, t.digest) && match === null) match = t;
    return match ? { name: match.name, scopes: match.scopes } : null;
  };
}
