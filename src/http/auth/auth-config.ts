/**
 * The `auth` block of the config (file form; HOSTLENS_AUTH takes the same
 * JSON): static tokens stored as SHA-256 digests with their scopes, and the
 * OAuth issuer whose JWTs are accepted. Either one (or the legacy
 * authToken) turns authentication on.
 */
import { z } from 'zod';
import { SCOPES } from '../../contracts/scopes.js';
import { DEFAULT_CLOCK_SKEW_SEC, DEFAULT_JWT_ALGORITHMS, JWT_ALGORITHMS, MAX_CLOCK_SKEW_SEC } from './jwt.js';

const httpUrl = (what: string) =>
  z
    .string()
    .url()
    .regex(/^https?:\/\//i, `${what} must be an http(s) URL`);

const staticTokenSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'token names are 1–64 letters, digits, dots, dashes or underscores'),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hex characters (hostlens hash-token prints it)'),
    scopes: z.array(z.enum(SCOPES)).min(1).describe('what this token may do'),
  })
  .strict();

const oauthSchema = z
  .object({
    issuer: httpUrl('issuer').describe('the authorization server; tokens must carry exactly this iss'),
    jwksUri: httpUrl('jwksUri').optional().describe("the issuer's JWKS (default: from its /.well-known metadata)"),
    audience: z.string().min(1).optional().describe('required aud value (default: resource)'),
    resource: httpUrl('resource').optional().describe("this server's resource identifier (default: its own /mcp URL)"),
    algorithms: z
      .array(z.enum(JWT_ALGORITHMS))
      .min(1)
      .default([...DEFAULT_JWT_ALGORITHMS])
      .describe('accepted signature algorithms (asymmetric only)'),
    clockSkewSec: z.number().int().min(0).max(MAX_CLOCK_SKEW_SEC).default(DEFAULT_CLOCK_SKEW_SEC),
    requiredScopes: z.array(z.enum(SCOPES)).default([]).describe('scopes every token must carry'),
  })
  .strict();

export const authConfigSchema = z
  .object({
    tokens: z
      .array(staticTokenSchema)
      .max(1024)
      .default([])
      .refine((tokens) => new Set(tokens.map((t) => t.name)).size === tokens.length, 'token names must be unique'),
    oauth: oauthSchema.optional(),
  })
  .strict();
