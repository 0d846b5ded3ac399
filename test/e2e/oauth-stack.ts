/**
 * The OAuth end-to-end stack: a real OpenID provider (test/support/oidc.ts)
 * and a real `hostlens serve` whose config file has `auth.oauth` pointing at
 * it, on loopback ports chosen up front so the provider knows hostlens's
 * resource URL. Plus the SDK-side pieces: a fetch that records every URL the
 * SDK client asked for, a headless authorization-code + PKCE
 * OAuthClientProvider, and a connect helper for both protocol eras.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions, OAuthClientMetadata, OAuthClientProvider, OAuthDiscoveryState, StreamableHTTPClientTransportOptions } from '@modelcontextprotocol/client';
import { authorizeHeadless, startOidc } from '../support/oidc.js';
import type { OidcClientSpec, OidcHandle } from '../support/oidc.js';
import { freePort, MODERN, spawnHostlens, within } from './helpers.js';
import type { Spawned } from './helpers.js';

export const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];

/** A second resource the provider also issues tokens for (the wrong-audience case). */
export const OTHER_RESOURCE = 'http://127.0.0.1:9/other-api';

export interface OauthStack {
  op: OidcHandle;
  hostlens: Spawned;
  /** hostlens's /mcp URL, also its RFC 8707 resource and the tokens' audience. */
  url: string;
  base: string;
  /** A private temporary directory (config file, audit log; removed by stop). */
  dir: string;
  /** hostlens's audit log (auditLog.path), inside `dir`: never the user's own state directory. */
  auditPath: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  clients: readonly OidcClientSpec[];
  toolsets?: readonly string[];
  clockSkewSec?: number;
  /** Give hostlens the JWKS URI (default: hostlens discovers it from the issuer). */
  jwksUri?: boolean;
  /** Leave `resource` out of the config: hostlens's default is its own /mcp URL. */
  defaultResource?: boolean;
}

export async function startOauthStack(options: StackOptions): Promise<OauthStack> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}/mcp`;
  // The localhost spelling of the same URL is a resource too (the default-resource tests connect by that name).
  const op = await within(10_000, 'oidc-provider start', startOidc({ resources: [url, `http://localhost:${port}/mcp`, OTHER_RESOURCE], clients: options.clients }));
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-oauth-'));
  const configFile = join(dir, 'hostlens.json');
  const auditPath = join(dir, 'audit.jsonl');
  const oauth: Record<string, unknown> = { issuer: op.issuer };
  if (!options.defaultResource) oauth.resource = url;
  if (options.clockSkewSec !== undefined) oauth.clockSkewSec = options.clockSkewSec;
  if (options.jwksUri) oauth.jwksUri = op.jwksUri;
  writeFileSync(
    configFile,
    JSON.stringify(
      { host: '127.0.0.1', port, logLevel: 'debug', toolsets: options.toolsets ?? ['core', 'logs'], auth: { oauth }, auditLog: { path: auditPath } },
      null,
      2,
    ),
  );
  const hostlens = spawnHostlens(['serve', '--config', configFile]);
  try {
    await hostlens.listening();
  } catch (error) {
    await hostlens.kill();
    await op.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    op,
    hostlens,
    url,
    base,
    dir,
    auditPath,
    async stop() {
      await hostlens.kill();
      await op.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fetch for the SDK transport that records `METHOD url → status` for every
 * request it makes, and the `WWW-Authenticate` challenges it received.
 */
export function recordingFetch(): { fetch: typeof fetch; seen: string[]; challenges: string[] } {
  const seen: string[] = [];
  const challenges: string[] = [];
  const recording: typeof fetch = async (input, init) => {
    const href = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const res = await fetch(input, init);
    seen.push(`${method} ${href} → ${res.status}`);
    const challenge = res.headers.get('www-authenticate');
    if (challenge !== null) challenges.push(challenge);
    return res;
  };
  return { fetch: recording, seen, challenges };
}

/** The `scope="…"` of a Bearer challenge. */
export function challengeScope(challenge: string | undefined): string | undefined {
  return challenge === undefined ? undefined : /\bscope="([^"]*)"/.exec(challenge)?.[1];
}

/** Connects an SDK client in `era` through a transport with `transportOptions` (auth provider, fetch, …). */
export async function connectWith(url: string, era: ClientOptions, transportOptions: StreamableHTTPClientTransportOptions): Promise<Client> {
  const client = new Client({ name: 'e2e-oauth', version: '1.0.0' }, era);
  await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url), transportOptions)));
  return client;
}

/**
 * An authorization-code + PKCE client (public, pre-registered) whose
 * "browser" is `authorizeHeadless`: the SDK's redirect drives the provider's
 * login and consent pages by fetch, and the callback URL lands in `callback`
 * for the test to hand to `transport.finishAuth`. It keeps the SDK's
 * discovery state (the SEP-2352 binding of the code to its issuer) and checks
 * the `state` it generated.
 */
export class HeadlessAuthCodeProvider implements OAuthClientProvider {
  callback: URL | undefined;
  /** The last authorization URL the SDK built (to check PKCE and RFC 8707 parameters). */
  authorizationUrl: URL | undefined;
  redirects = 0;
  private storedTokens: Awaited<ReturnType<OAuthClientProvider['tokens']>>;
  private verifier = '';
  private discovery: OAuthDiscoveryState | undefined;
  private lastState = '';
  private info: { client_id: string; issuer?: string };

  constructor(
    clientId: string,
    private readonly redirectUri: string,
  ) {
    this.info = { client_id: clientId };
  }

  get redirectUrl(): string {
    return this.redirectUri;
  }

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'hostlens e2e', redirect_uris: [this.redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }

  state(): string {
    this.lastState = `st-${Math.random().toString(36).slice(2)}`;
    return this.lastState;
  }

  clientInformation(): { client_id: string; issuer?: string } {
    return this.info;
  }

  saveClientInformation(info: { client_id: string; issuer?: string }): void {
    this.info = info;
  }

  tokens(): Awaited<ReturnType<OAuthClientProvider['tokens']>> {
    return this.storedTokens;
  }

  saveTokens(tokens: NonNullable<Awaited<ReturnType<OAuthClientProvider['tokens']>>>): void {
    this.storedTokens = tokens;
  }

  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.redirects++;
    this.authorizationUrl = authorizationUrl;
    const back = await authorizeHeadless(authorizationUrl, this.redirectUri);
    if (back.searchParams.get('state') !== this.lastState) throw new Error(`state mismatch: ${back.href}`);
    this.callback = back;
  }
}
