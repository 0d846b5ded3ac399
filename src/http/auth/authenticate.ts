/**
 * Authentication of /mcp requests: a bearer token in the Authorization
 * header (never the query string), checked against the hashed static tokens
 * first, then as a JWT from the configured issuer. Success yields the
 * principal and the AuthInfo handed to the SDK — whose `token` is a short
 * digest, never the token itself. Failure yields the response to send: 401
 * with a `WWW-Authenticate: Bearer resource_metadata=…, scope=…` challenge
 * (plus `error="invalid_token"` when a token was sent), 400 invalid_request
 * for a malformed header or a token in the URL, 403 insufficient_scope when
 * a token lacks the configured required scopes. Tokens are never logged,
 * forwarded or returned.
 *
 * Not the SDK's requireBearerAuth / verifyBearerToken: they answer an OAuth
 * error JSON where every hostlens error is a JSON-RPC body, use the first of
 * two Authorization headers where this refuses the pair (400; "two headers,
 * even twice the right token" in test/hostile/auth-headers.test.ts), refuse
 * every token without `exp` (the static tokens have none), and put the
 * verifier's own message into the challenge.
 */
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Logger } from '../../util/log.js';
import { silentLogger } from '../../util/log.js';
import type { JsonRpcId } from '../../server/jsonrpc-errors.js';
import { httpErrorResponse } from '../../server/error-mapping.js';
import { HostlensError } from '../../contracts/errors.js';
import type { ErrorCode } from '../../contracts/errors.js';
import { createJwtVerifier } from './jwt.js';
import type { JwtAlgorithm } from './jwt.js';
import { metadataResponse, resourceMetadataUrl } from './metadata.js';
import { ANONYMOUS } from '../../server/principal.js';
import type { Principal } from '../../server/principal.js';
import { READ_SCOPE } from '../../contracts/scopes.js';
import type { Scope } from '../../contracts/scopes.js';
import { createStaticTokenVerifier, sha256Hex } from './static-tokens.js';
import type { StaticTokenConfig } from './static-tokens.js';

interface OAuthOptions {
  issuer: string;
  jwksUri?: string;
  /** Expected `aud`; default the resource. */
  audience?: string;
  /** This server's resource identifier; default `<origin of the request>/mcp`. */
  resource?: string;
  algorithms: readonly JwtAlgorithm[];
  clockSkewSec: number;
  /** Scopes every token must carry (403 insufficient_scope otherwise). */
  requiredScopes?: readonly Scope[];
  fetchTimeoutMs?: number;
  cooldownMs?: number;
  /** Tests: the fetch used for JWKS discovery. */
  fetch?: typeof fetch;
}

interface AuthenticatorOptions {
  tokens?: readonly StaticTokenConfig[];
  oauth?: OAuthOptions;
  logger?: Logger;
}

interface Authenticated {
  principal: Principal;
  /** What the SDK hands to request handlers (absent for the anonymous principal). */
  authInfo?: AuthInfo;
}

export interface Authenticator {
  (request: Request): Promise<Authenticated | Response>;
  /** The resource identifier for a request (configured, or `<origin>/mcp`). */
  resourceFor(request: Request): string;
  /** The RFC 9728 document for a request on a metadata path (405 for other methods). */
  metadata(request: Request): Response;
  /** HTTP 403 insufficient_scope for a call that needs `scopes` the principal lacks. */
  forbidden(request: Request, needed: readonly Scope[], id?: JsonRpcId, missing?: readonly Scope[]): Response;
}

/**
 * The RFC 6750 error a refusal names in its challenge. Its description is the HostlensError's message:
 * one of a fixed set of phrases written in this folder, never the token or a claim copied from it, so it
 * is safe in a header, a body and a log.
 */
const CHALLENGE_ERROR: Partial<Record<ErrorCode, string>> = { unauthorized: 'invalid_token', bad_request: 'invalid_request', forbidden: 'insufficient_scope' };

/** Characters of an RFC 6750 b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

function challenge(fields: Array<[string, string | undefined]>): string {
  return `Bearer ${fields
    .filter((f): f is [string, string] => f[1] !== undefined)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(', ')}`;
}

/**
 * HTTP 403 insufficient_scope as a JSON-RPC error (id echoed). The challenge
 * lists every scope the request needs (`needed`), so a client asking for a
 * new token asks for all of them; `missing` (default: all) are the ones the
 * token lacks.
 */
export function forbiddenResponse(metadataUrl: string, needed: readonly Scope[], id?: JsonRpcId, missing: readonly Scope[] = needed): Response {
  const header = challenge([
    ['error', 'insufficient_scope'],
    ['scope', needed.join(' ')],
    ['resource_metadata', metadataUrl],
    ['error_description', 'the access token lacks a scope this request needs'],
  ]);
  return httpErrorResponse(
    new HostlensError('forbidden', `Forbidden: the access token lacks ${missing.join(' ')} (this request needs ${needed.join(' ')})`, {
      data: { requiredScopes: [...needed], missingScopes: [...missing] },
    }),
    { id: id ?? null, headers: { 'www-authenticate': header } },
  );
}

/** The metadata URL for a request when no configured resource says otherwise. */
export function defaultMetadataUrl(request: Request): string {
  return resourceMetadataUrl(`${new URL(request.url).origin}/mcp`);
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const logger = options.logger ?? silentLogger;
  const statics = createStaticTokenVerifier(options.tokens ?? []);
  const oauth = options.oauth;
  const jwt = oauth
    ? createJwtVerifier({
        issuer: oauth.issuer,
        ...(oauth.jwksUri ? { jwksUri: oauth.jwksUri } : {}),
        algorithms: oauth.algorithms,
        clockSkewSec: oauth.clockSkewSec,
        ...(oauth.fetchTimeoutMs !== undefined ? { fetchTimeoutMs: oauth.fetchTimeoutMs } : {}),
        ...(oauth.cooldownMs !== undefined ? { cooldownMs: oauth.cooldownMs } : {}),
        ...(oauth.fetch ? { fetch: oauth.fetch } : {}),
        logger,
      })
    : null;

  const resourceFor = (request: Request): string => oauth?.resource ?? `${new URL(request.url).origin}/mcp`;
  const metadataUrlFor = (request: Request): string => resourceMetadataUrl(resourceFor(request));

  /** The answer for a refused credential (`error`), or for none at all (null). */
  const refuse = (request: Request, error: HostlensError | null): Response => {
    const metadata = metadataUrlFor(request);
    if (error?.code === 'forbidden') return forbidden(request, (error.data as { requiredScopes: Scope[] }).requiredScopes);
    const code = error?.code === 'bad_request' ? 'bad_request' : 'unauthorized';
    const header = challenge([
      ['error', error ? CHALLENGE_ERROR[code] : undefined],
      ['error_description', error?.message],
      ['resource_metadata', metadata],
      ['scope', READ_SCOPE],
    ]);
    const message = error ? `${code === 'bad_request' ? 'Bad Request' : 'Unauthorized'}: ${error.message}` : 'Unauthorized: a bearer token is required';
    return httpErrorResponse(new HostlensError(code, message), { headers: { 'www-authenticate': header } });
  };

  const forbidden = (request: Request, needed: readonly Scope[], id?: JsonRpcId, missing?: readonly Scope[]): Response =>
    forbiddenResponse(metadataUrlFor(request), needed, id, missing);

  const verify = async (request: Request, token: string): Promise<Authenticated> => {
    const digest = sha256Hex(token).slice(0, 16);
    const match = statics(token);
    if (match) {
      const principal: Principal = { id: `static:${match.name}`, kind: 'static', scopes: new Set(match.scopes) };
      return { principal, authInfo: { token: digest, clientId: principal.id, scopes: [...match.scopes], extra: { principalKind: 'static' } } };
    }
    if (!jwt || !oauth) throw new HostlensError('unauthorized', 'the bearer token is not valid');
    const resource = resourceFor(request);
    const audience = oauth.audience ?? resource;
    const verified = await jwt(token, [audience]);
    const missing = (oauth.requiredScopes ?? []).filter((s) => !verified.scopes.includes(s));
    if (missing.length > 0) throw new HostlensError('forbidden', 'the token lacks a required scope', { data: { requiredScopes: missing } });
    const principal: Principal = { id: verified.principalId, kind: 'oauth', scopes: new Set(verified.scopes), expiresAtMs: verified.expiresAt * 1000 };
    return {
      principal,
      authInfo: {
        token: digest,
        clientId: principal.id,
        scopes: verified.scopes,
        expiresAt: verified.expiresAt,
        resource: new URL(resource),
        resourceMetadataUrl: metadataUrlFor(request),
        extra: { principalKind: 'oauth' },
      },
    };
  };

  const authenticate = async (request: Request): Promise<Authenticated | Response> => {
    const url = new URL(request.url);
    if (url.searchParams.has('access_token')) {
      return refuse(request, new HostlensError('bad_request', 'access tokens are accepted only in the Authorization header'));
    }
    const header = request.headers.get('authorization');
    if (header === null || header.trim() === '') return refuse(request, null);
    const m = BEARER.exec(header);
    if (!m) {
      // Not a bearer credential at all (Basic, …) counts as none; a broken or repeated one is a bad request.
      if (!/^bearer\b/i.test(header.trim()) && !header.includes(',')) return refuse(request, null);
      return refuse(request, new HostlensError('bad_request', 'the Authorization header must hold exactly one bearer token'));
    }
    try {
      return await verify(request, m[1] ?? '');
    } catch (error) {
      if (error instanceof HostlensError) return refuse(request, error);
      logger.warn('auth: verification failed', { error: error instanceof Error ? error.name : 'unknown' });
      return refuse(request, new HostlensError('unauthorized', 'the token cannot be verified right now', { cause: error }));
    }
  };

  return Object.assign(authenticate, {
    resourceFor,
    metadata: (request: Request) => metadataResponse(request, { resource: resourceFor(request), ...(oauth ? { issuer: oauth.issuer } : {}) }),
    forbidden,
  });
}

/**
 * Authenticates `request` (anonymous with every scope when `authenticator`
 * is null) and requires `scope`: for endpoints outside /mcp that need one,
 * such as /metrics (hostlens:admin).
 */
export async function authorize(authenticator: Authenticator | null, request: Request, scope: Scope): Promise<Authenticated | Response> {
  const result: Authenticated | Response = authenticator ? await authenticator(request) : { principal: ANONYMOUS };
  if (result instanceof Response) return result;
  if (!result.principal.scopes.has(scope)) {
    const metadataUrl = authenticator ? resourceMetadataUrl(authenticator.resourceFor(request)) : defaultMetadataUrl(request);
    return forbiddenResponse(metadataUrl, [scope]);
  }
  return result;
}
