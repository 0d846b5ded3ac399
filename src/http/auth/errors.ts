/**
 * Typed authentication failures. A description is one of a fixed set of
 * phrases written here: it never contains the token or any claim copied
 * from it, so it is safe in a WWW-Authenticate header, a body and a log.
 */
type AuthErrorCode = 'invalid_token' | 'insufficient_scope' | 'invalid_request';

export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    readonly description: string,
    /** For insufficient_scope: the scopes that were needed. */
    readonly scopes: readonly string[] = [],
  ) {
    super(`${code}: ${description}`);
  }
}
