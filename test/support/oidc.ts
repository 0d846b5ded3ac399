/**
 * A real OpenID provider (`oidc-provider` 8.x) on 127.0.0.1 with an ephemeral
 * port, in the test process, for the OAuth end-to-end tests.
 *
 * - One RS256 signing key generated per run with jose (its private JWK is
 *   exposed so tests can mint tokens the provider itself would not issue:
 *   expired, wrong issuer, wrong audience, with the same key and `kid`), plus
 *   one key per other algorithm a client asks for (`alg`: PS256, ES256,
 *   EdDSA, RS384, ES384), all published in the JWKS.
 * - `clientCredentials` enabled; `resourceIndicators` (RFC 8707) issues JWT
 *   access tokens (`typ: at+jwt`) whose `aud` is the requested resource
 *   (only the resources passed in `resources` are accepted; there is no
 *   default resource, so a client that sends no `resource` parameter gets no
 *   JWT for hostlens) and whose `scope` is the requested subset of the
 *   hostlens scopes that the client is allowed (`client.scopes`): a read-only
 *   client asking for everything gets `hostlens:read` only.
 * - Clients with a `secret` are confidential client-credentials clients
 *   (client_secret_basic); clients with a `redirectUri` are public
 *   authorization-code + PKCE clients (`native`, loopback redirect).
 * - `devInteractions` serve the login and consent pages, which
 *   `authorizeHeadless` fills in with plain fetch (cookies kept by hand).
 *
 * Every request reaching the provider is counted by path (`requests`), so a
 * test can see the SDK client went to `/token` again (a scope step-up), and
 * logged with its Authorization header (`requestLog`), so a test can show
 * hostlens never forwards a bearer token there. `authorizationCodeFlow` runs
 * a whole code + PKCE flow without the SDK.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import Provider, { errors } from 'oidc-provider';
import type { ClientLike } from 'oidc-provider';

export const HOSTLENS_SCOPES = ['hostlens:read', 'hostlens:processes', 'hostlens:logs', 'hostlens:config', 'hostlens:admin'] as const;
export type HostlensScope = (typeof HOSTLENS_SCOPES)[number];

export interface OidcClientSpec {
  id: string;
  /** Confidential client for `client_credentials` (client_secret_basic). */
  secret?: string;
  /** Public client for authorization code + PKCE with this loopback redirect URI. */
  redirectUri?: string;
  /** The hostlens scopes this client may be granted. */
  scopes: readonly HostlensScope[];
  /** Access token lifetime for this client's tokens (default: `accessTokenTtlSec`). */
  accessTokenTtlSec?: number;
  /** JWS algorithm of this client's access tokens (default RS256); the provider gets a key for each one used. */
  alg?: SigningAlg;
}

export const SIGNING_ALGS = ['RS256', 'RS384', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export interface StartOidcOptions {
  /** Resource indicators the provider issues JWTs for (a client must name one: there is no default). */
  resources: readonly string[];
  clients: readonly OidcClientSpec[];
  accessTokenTtlSec?: number;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  id_token?: string;
}

export interface OidcHandle {
  issuer: string;
  jwksUri: string;
  tokenEndpoint: string;
  /** The provider's signing key (private JWK with `kid` and `alg`). */
  signingKey: JWK & { kid: string; alg: 'RS256' };
  /** Requests seen, by path (`/token`, `/jwks`, `/.well-known/openid-configuration`, …). */
  requests: Map<string, number>;
  /** Every request: method, path and its Authorization header (to prove what was, or was not, sent here). */
  requestLog: Array<{ method: string; path: string; authorization: string | undefined }>;
  /** A raw client-credentials token request (no SDK), for the bad-token cases. */
  clientCredentials(clientId: string, params: { resource?: string; scope?: string }): Promise<TokenResponse>;
  /** Signs `payload` as an `at+jwt` with the provider's own key (or `key`/`kid` when given). */
  mint(payload: JWTPayload, options?: { key?: CryptoKey | Uint8Array; kid?: string }): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the provider; it listens before this resolves. */
export async function startOidc(options: StartOidcOptions): Promise<OidcHandle> {
  if (options.resources.length === 0) throw new Error('startOidc: at least one resource');
  const defaultTtl = options.accessTokenTtlSec ?? 300;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `k-${randomUUID()}`;
  const signingKey = { ...(await exportJWK(privateKey)), kid, alg: 'RS256' as const, use: 'sig' };
  const keys: JWK[] = [signingKey];
  for (const alg of new Set(options.clients.map((c) => c.alg).filter((a): a is SigningAlg => a !== undefined && a !== 'RS256'))) {
    const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    keys.push({ ...(await exportJWK(pair.privateKey)), kid: `k-${alg}-${randomUUID()}`, alg, use: 'sig' });
  }
  const byId = new Map(options.clients.map((c) => [c.id, c]));
  const secrets = new Map<string, string>();

  // Client `scope` metadata may only name the provider's own (OIDC) scopes, so the
  // per-client hostlens scopes live in `byId` and are applied by getResourceServerInfo.
  const clients = options.clients.map((c) => {
    if (c.secret !== undefined) {
      secrets.set(c.id, c.secret);
      return {
        client_id: c.id,
        client_secret: c.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      };
    }
    if (c.redirectUri === undefined) throw new Error(`client ${c.id}: needs a secret or a redirectUri`);
    return {
      client_id: c.id,
      application_type: 'native',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [c.redirectUri],
      token_endpoint_auth_method: 'none',
    };
  });

  const server = createServer();
  const requests = new Map<string, number>();
  const requestLog: OidcHandle['requestLog'] = [];
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients,
    jwks: { keys },
    enabledJWA: { idTokenSigningAlgValues: [...SIGNING_ALGS] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: ['openid', 'offline_access'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string, client: ClientLike) => {
          if (!options.resources.includes(indicator)) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
          const spec = byId.get(client.clientId);
          const allowed = HOSTLENS_SCOPES.filter((s) => spec?.scopes.includes(s));
          return {
            scope: allowed.join(' '),
            audience: indicator,
            accessTokenFormat: 'jwt',
            accessTokenTTL: spec?.accessTokenTtlSec ?? defaultTtl,
            jwt: { sign: { alg: spec?.alg ?? 'RS256' } },
          };
        },
      },
    },
  });
  // oidc-provider reports unexpected errors as events; keep them visible in a failing test.
  provider.on('server_error', (_ctx: unknown, err: unknown) => process.stderr.write(`oidc-provider server_error: ${String(err)}\n`));
  const handler = provider.callback();
  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (requestLog.length < 10_000) requestLog.push({ method: req.method ?? '?', path, authorization: req.headers.authorization });
    handler(req, res);
  });

  const handle: OidcHandle = {
    issuer,
    jwksUri: `${issuer}/jwks`,
    tokenEndpoint: `${issuer}/token`,
    signingKey,
    requests,
    requestLog,
    async clientCredentials(clientId, params) {
      const secret = secrets.get(clientId);
      if (secret === undefined) throw new Error(`no confidential client ${clientId}`);
      const body = new URLSearchParams({ grant_type: 'client_credentials' });
      if (params.resource !== undefined) body.set('resource', params.resource);
      if (params.scope !== undefined) body.set('scope', params.scope);
      const res = await fetch(handle.tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`token endpoint ${res.status}: ${text}`);
      return JSON.parse(text) as TokenResponse;
    },
    async mint(payload, mintOptions = {}) {
      const key = mintOptions.key ?? privateKey;
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: mintOptions.kid ?? kid }).sign(key);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return handle;
}

/** An unsigned JWT (`alg: none`, empty signature) carrying `payload`. */
export function unsignedJwt(payload: JWTPayload): string {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', typ: 'at+jwt' })}.${part(payload)}.`;
}

/** The claims of a JWT, without verifying it (to copy a real token's claims into a forged one). */
export function jwtClaims(token: string): JWTPayload {
  const middle = token.split('.')[1];
  if (middle === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(middle, 'base64url').toString('utf8')) as JWTPayload;
}

/**
 * Drives the provider's development login and consent pages headlessly, the
 * way a browser would: follows redirects by hand, keeps cookies, submits the
 * login form (any login/password is accepted) and the consent form, and
 * returns the URL the provider finally redirects to under `redirectUri`
 * (carrying `code`, `state`, `iss`, or `error`).
 */
export async function authorizeHeadless(authorizationUrl: URL, redirectUri: string, login = 'agent-user'): Promise<URL> {
  const jar = new Map<string, string>();
  let url = authorizationUrl;
  let init: { method: string; body?: URLSearchParams } = { method: 'GET' };
  for (let step = 0; step < 20; step++) {
    const headers: Record<string, string> = {};
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(5_000) });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer();
      const location = res.headers.get('location');
      if (!location) throw new Error(`redirect ${res.status} without Location from ${url.href}`);
      url = new URL(location, url);
      if (url.href.startsWith(redirectUri)) return url;
      init = { method: 'GET' };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`authorization step ${step}: HTTP ${res.status} at ${url.href}: ${html.slice(0, 500)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`authorization step ${step}: no form at ${url.href}: ${html.slice(0, 500)}`);
    url = new URL(action.replace(/&amp;/g, '&'), url);
    const body = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      body.set('login', login);
      body.set('password', 'any');
    }
    init = { method: 'POST', body };
  }
  throw new Error('authorization did not reach the redirect URI within 20 steps');
}

/**
 * A whole authorization-code + PKCE (S256) flow without the SDK: builds the
 * authorization URL, logs in and consents headlessly, checks `state` and
 * `iss`, and redeems the code (with `resource`) at the token endpoint.
 */
export async function authorizationCodeFlow(
  op: Pick<OidcHandle, 'issuer' | 'tokenEndpoint'>,
  params: { clientId: string; redirectUri: string; scope: string; resource: string },
): Promise<TokenResponse> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const url = new URL(`${op.issuer}/auth`);
  for (const [k, v] of Object.entries({
    client_id: params.clientId,
    response_type: 'code',
    redirect_uri: params.redirectUri,
    scope: params.scope,
    resource: params.resource,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
  })) url.searchParams.set(k, v);
  const back = await authorizeHeadless(url, params.redirectUri);
  const code = back.searchParams.get('code');
  if (back.searchParams.get('state') !== state || back.searchParams.get('iss') !== op.issuer || !code) throw new Error(`bad authorization response: ${back.href}`);
  const res = await fetch(op.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: params.redirectUri, client_id: params.clientId, code_verifier: verifier, resource: params.resource }),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`token endpoint ${res.status}: ${text}`);
  return JSON.parse(text) as TokenResponse;
}
