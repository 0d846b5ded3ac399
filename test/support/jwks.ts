/**
 * A tiny loopback JWKS server and token mint for the OAuth resource-server
 * tests: RSA and EC signing keys made with jose, `/jwks` and the issuer's
 * `/.well-known/openid-configuration`, counters of what was fetched, and a
 * `down()` switch that makes every answer a 503.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';

export interface Mint {
  /** Signed with the issuer's RS256 key unless `alg`/`key` say otherwise. */
  sign(claims: JWTPayload, options?: { alg?: string; kid?: string; key?: CryptoKey | Uint8Array; typ?: string }): Promise<string>;
}

export interface TestIssuer extends Mint {
  issuer: string;
  jwksUri: string;
  /** The PEM of the RSA public key (for the HS256-with-public-key attack). */
  publicPem: string;
  /** A key the issuer never published. */
  strangerKey: CryptoKey;
  ecKey: CryptoKey;
  /** Answered JWKS and discovery documents; `all` counts every request, also those answered 503 while down. */
  fetches: { jwks: number; discovery: number; all: number };
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export function unsignedToken(claims: JWTPayload): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

export async function startIssuer(): Promise<TestIssuer> {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const stranger = await generateKeyPair('RS256');
  const jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ],
  };
  const publicPem = await exportSPKI(rsa.publicKey);
  const fetches = { jwks: 0, discovery: 0, all: 0 };
  let down = false;
  let issuer = '';
  const server = createServer((req, res) => {
    fetches.all += 1;
    if (down) {
      res.writeHead(503).end();
      return;
    }
    if (req.url === '/jwks') {
      fetches.jwks += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    } else if (req.url === '/.well-known/openid-configuration') {
      fetches.discovery += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    publicPem,
    strangerKey: stranger.privateKey,
    ecKey: ec.privateKey,
    fetches,
    setDown: (value) => void (down = value),
    async sign(claims, options = {}) {
      const alg = options.alg ?? 'RS256';
      const kid = options.kid ?? (alg === 'ES256' ? 'ec-1' : 'rsa-1');
      return new SignJWT(claims).setProtectedHeader({ alg, kid, typ: options.typ ?? 'at+jwt' }).sign(options.key ?? (alg === 'ES256' ? ec.privateKey : rsa.privateKey));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
