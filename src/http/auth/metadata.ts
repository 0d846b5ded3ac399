/**
 * RFC 9728 protected-resource metadata, served without authentication (but
 * behind the Host/Origin guards) at `/.well-known/oauth-protected-resource`
 * and its path-suffixed form `/.well-known/oauth-protected-resource/mcp`, so
 * a client refused with 401 can find the authorization server and the scopes.
 */
import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/server';
import type { OAuthProtectedResourceMetadata } from '@modelcontextprotocol/server';
import { HostlensError } from '../../contracts/errors.js';
import { httpErrorResponse } from '../../server/error-mapping.js';
import { SCOPES } from '../../contracts/scopes.js';

const METADATA_PATH = '/.well-known/oauth-protected-resource';
const METADATA_PATHS: readonly string[] = [METADATA_PATH, `${METADATA_PATH}/mcp`];

interface ResourceMetadataOptions {
  /** This server's resource identifier: its public /mcp URL. */
  resource: string;
  /** The OAuth issuer, when tokens from an authorization server are accepted. */
  issuer?: string;
}

function resourceMetadata(options: ResourceMetadataOptions): OAuthProtectedResourceMetadata {
  return {
    resource: options.resource,
    ...(options.issuer ? { authorization_servers: [options.issuer] } : {}),
    scopes_supported: [...SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'hostlens',
  };
}

/** Where the metadata for `resource` lives (RFC 9728 §3.1: the well-known prefix before the path). */
export function resourceMetadataUrl(resource: string): string {
  return getOAuthProtectedResourceMetadataUrl(new URL(resource));
}

export function isMetadataPath(path: string): boolean {
  return METADATA_PATHS.includes(path);
}

/** The answer for a request on one of METADATA_PATHS: GET (and HEAD) the document, anything else 405. */
export function metadataResponse(request: Request, options: ResourceMetadataOptions): Response {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return httpErrorResponse(new HostlensError('method_not_allowed', 'Method Not Allowed'), { headers: { allow: 'GET, HEAD' } });
  }
  const body = request.method === 'HEAD' ? null : JSON.stringify(resourceMetadata(options));
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
  });
}
