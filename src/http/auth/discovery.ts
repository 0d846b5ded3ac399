/**
 * Finding the issuer's JWKS when the config names none: the issuer's
 * OpenID configuration, then its RFC 8414 authorization-server metadata.
 * Every fetch is bounded (timeout, body size); the document must name the
 * configured issuer exactly and an http(s) `jwks_uri`.
 */
import { readBounded } from '../read-bounded.js';

const MAX_METADATA_BYTES = 256 * 1024;

function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  return [
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ];
}

async function fetchBoundedJson(url: string, timeoutMs: number, fetchImpl: typeof fetch = fetch): Promise<unknown> {
  const response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error', headers: { accept: 'application/json' } });
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`HTTP ${response.status}`);
  }
  const text = await readBounded(response.body, MAX_METADATA_BYTES);
  if (text === null) throw new Error('metadata document too large');
  return JSON.parse(text);
}

/** The `jwks_uri` the issuer publishes; throws (with a message naming no secret) when none can be found. */
export async function discoverJwksUri(issuer: string, timeoutMs: number, fetchImpl?: typeof fetch): Promise<string> {
  const problems: string[] = [];
  for (const url of metadataUrls(issuer)) {
    try {
      const doc = (await fetchBoundedJson(url, timeoutMs, fetchImpl)) as { issuer?: unknown; jwks_uri?: unknown } | null;
      if (doc === null || typeof doc !== 'object') throw new Error('not a JSON object');
      if (doc.issuer !== issuer) throw new Error('issuer in the metadata does not match');
      if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//i.test(doc.jwks_uri)) throw new Error('no http(s) jwks_uri');
      return doc.jwks_uri;
    } catch (error) {
      problems.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`JWKS discovery failed (${problems.join('; ')})`);
}
