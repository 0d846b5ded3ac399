/**
 * JWT access tokens checked locally against the issuer's JWKS (jose):
 * signature with an allow-listed asymmetric algorithm (never `none`, never
 * HS* with a JWKS), `iss` equal to the configured issuer, `aud` containing
 * this resource (RFC 8707; scheme and host case-insensitive, a trailing slash
 * ignored), `exp` required, `nbf`/`exp` with a bounded clock
 * skew. The JWKS (and, without a `jwksUri`, its discovery) is fetched lazily
 * on first use, with timeouts and a cooldown, so the issuer need not be up
 * when hostlens starts; when it cannot be reached the token is refused
 * (401) and a warning is logged, never a 500.
 */
import type { errors as JoseErrors, JWTPayload, JWTVerifyGetKey } from 'jose';
import type { Logger } from '../../util/log.js';
import { silentLogger } from '../../util/log.js';
import { discoverJwksUri } from './discovery.js';
import { HostlensError } from '../../contracts/errors.js';
import { isScope } from '../../contracts/scopes.js';
import type { Scope } from '../../contracts/scopes.js';

/**
 * jose is loaded on the first token to verify, not at start: a server without
 * OAuth configured never pays its ≈ 2.3 MB of resident memory.
 */
type Jose = typeof import('jose');
let jose: Jose | undefined;
const loadJose = async (): Promise<Jose> => (jose ??= await import('jose'));

export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export const MAX_CLOCK_SKEW_SEC = 300;
/** Accepted unless `auth.oauth.algorithms` says otherwise: one of each asymmetric family most issuers sign with. */
export const DEFAULT_JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];
export const DEFAULT_CLOCK_SKEW_SEC = 30;
/** Longer bearer values are refused unparsed. */
const MAX_TOKEN_CHARS = 16 * 1024;

interface JwtVerifierOptions {
  issuer: string;
  jwksUri?: string;
  algorithms: readonly JwtAlgorithm[];
  clockSkewSec: number;
  /** Per fetch (discovery, JWKS). */
  fetchTimeoutMs?: number;
  /** Minimum time between JWKS refetches (unknown kid) and between failed discoveries. */
  cooldownMs?: number;
  logger?: Logger;
  /** Tests: the fetch used for discovery. */
  fetch?: typeof fetch;
}

interface VerifiedJwt {
  principalId: string;
  subject: string;
  scopes: Scope[];
  /** Seconds since the epoch. */
  expiresAt: number;
}

type JwtVerifier = (token: string, audiences: readonly string[]) => Promise<VerifiedJwt>;

const UNAVAILABLE = 'the token cannot be verified right now';

function scopesOf(payload: JWTPayload): Scope[] {
  const raw = payload.scope ?? payload.scp;
  const list = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : [];
  return [...new Set(list.filter(isScope))];
}

/**
 * A resource identifier compared as MCP asks (RFC 8707 / RFC 3986): scheme
 * and host case-insensitive, no fragment, one trailing slash ignored. A value
 * that is not a URL is compared as it is.
 */
function canonicalResource(value: string): string {
  try {
    const url = new URL(value);
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
    return `${url.protocol}//${url.host}${path}${url.search}`;
  } catch {
    return value;
  }
}

/** Whether the token's `aud` (a string or an array) names one of `audiences`. */
function audienceMatches(aud: unknown, audiences: readonly string[]): boolean {
  const wanted = new Set(audiences.map(canonicalResource));
  const given = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.slice(0, 64) : [];
  return given.some((a) => typeof a === 'string' && wanted.has(canonicalResource(a)));
}

function claimProblem(error: InstanceType<typeof JoseErrors.JWTClaimValidationFailed>): string {
  switch (error.claim) {
    case 'iss':
      return 'the token was issued by another issuer';
    case 'aud':
      return 'the token was not issued for this resource';
    case 'nbf':
      return 'the token is not valid yet';
    case 'exp':
      return 'the token has no usable expiry';
    default:
      return 'a token claim is not acceptable';
  }
}

/** Maps anything thrown while verifying to an unauthorized HostlensError; true in `unavailable` when the verifier itself failed. */
function toAuthError(error: unknown): { error: HostlensError; unavailable: boolean } {
  const invalid = (description: string) => ({ error: new HostlensError('unauthorized', description), unavailable: false });
  if (error instanceof HostlensError) return { error, unavailable: false };
  const joseErrors = jose?.errors;
  if (!joseErrors) return { error: new HostlensError('unauthorized', UNAVAILABLE), unavailable: true };
  if (error instanceof joseErrors.JWTExpired) return invalid('the token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) return invalid(claimProblem(error));
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return invalid('the token signature is not valid');
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return invalid('the token algorithm is not allowed');
  if (error instanceof joseErrors.JWKSNoMatchingKey) return invalid('no key of the issuer matches the token');
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JOSENotSupported) {
    return invalid('the token is malformed');
  }
  return { error: new HostlensError('unauthorized', UNAVAILABLE, { cause: error }), unavailable: true };
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.fetchTimeoutMs ?? 5_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const clockTolerance = Math.max(0, Math.min(MAX_CLOCK_SKEW_SEC, options.clockSkewSec));
  let jwks: JWTVerifyGetKey | null = null;
  let discovering: Promise<JWTVerifyGetKey> | null = null;
  let failedAt = -Infinity;

  // After a failed JWKS fetch, tokens are refused at once for a while instead of each one fetching again
  // (bad tokens sent while the issuer is down cannot make hostlens hammer it).
  const failFastMs = Math.min(cooldownMs, 5_000);
  let jwksFailedAt = -Infinity;
  const remote = (uri: string, { createRemoteJWKSet }: Jose): JWTVerifyGetKey => {
    const getKey = createRemoteJWKSet(new URL(uri), { timeoutDuration: timeoutMs, cooldownDuration: cooldownMs, cacheMaxAge: 10 * 60_000 });
    return async (header, token) => {
      if (performance.now() - jwksFailedAt < failFastMs) throw new HostlensError('unauthorized', UNAVAILABLE);
      try {
        return await getKey(header, token);
      } catch (error) {
        if (toAuthError(error).unavailable) jwksFailedAt = performance.now();
        throw error;
      }
    };
  };

  const keys = async (lib: Jose): Promise<JWTVerifyGetKey> => {
    if (jwks) return jwks;
    if (options.jwksUri) return (jwks = remote(options.jwksUri, lib));
    if (performance.now() - failedAt < Math.min(cooldownMs, 10_000)) throw new HostlensError('unauthorized', UNAVAILABLE);
    discovering ??= discoverJwksUri(options.issuer, timeoutMs, options.fetch)
      .then((uri) => (jwks = remote(uri, lib)))
      .catch((error: unknown) => {
        failedAt = performance.now();
        logger.warn('oauth: JWKS discovery failed', { issuer: options.issuer, error: error instanceof Error ? error.message : String(error) });
        throw new HostlensError('unauthorized', UNAVAILABLE, { cause: error });
      })
      .finally(() => (discovering = null));
    return discovering;
  };

  return async (token, audiences) => {
    if (token.length > MAX_TOKEN_CHARS || token.split('.').length !== 3) throw new HostlensError('unauthorized', 'the token is malformed');
    try {
      const lib = await loadJose();
      const { payload } = await lib.jwtVerify(token, await keys(lib), {
        issuer: options.issuer,
        algorithms: [...options.algorithms],
        clockTolerance,
        requiredClaims: ['exp'],
      });
      // RFC 8707: the token must be meant for this resource (checked here, after the signature and time claims).
      if (!audienceMatches(payload.aud, audiences)) throw new HostlensError('unauthorized', 'the token was not issued for this resource');
      const subject = [payload.sub, payload.client_id, payload.azp].find((v): v is string => typeof v === 'string' && v !== '');
      if (subject === undefined) throw new HostlensError('unauthorized', 'the token names no subject or client');
      return {
        // The id reaches logs, the audit and metrics: control characters are replaced, length bounded.
        principalId: `oauth:${options.issuer}#${subject.slice(0, 256).replace(/[\u0000-\u001f\u007f]/g, '?')}`,
        subject,
        scopes: scopesOf(payload),
        expiresAt: payload.exp as number,
      };
    } catch (error) {
      const mapped = toAuthError(error);
      if (mapped.unavailable) {
        logger.warn('oauth: token verification unavailable', { issuer: options.issuer, error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown' });
      }
      throw mapped.error;
    }
  };
}
