/** What the redaction modules share: the marker, the finding kinds and small value helpers. */

export const REDACTED = '[REDACTED]';

export type RedactionKind =
  | 'pem'
  | 'auth_header'
  | 'bearer'
  | 'url_userinfo'
  | 'jwt'
  | 'aws_access_key'
  | 'gcp_api_key'
  | 'github_token'
  | 'gitlab_token'
  | 'slack_token'
  | 'slack_webhook'
  | 'openai_key'
  | 'stripe_key'
  | 'npm_token'
  | 'sendgrid_key'
  | 'key_value'
  | 'cli_flag'
  | 'directive'
  | 'whole_value'
  | 'high_entropy';

export type Emit = (kind: RedactionKind) => void;

/** `"x"` or `'x'` without its quotes; anything else as is. */
export function unquote(v: string): string {
  return v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] ? v.slice(1, -1) : v;
}

/** `value` replaced by the marker, its surrounding quotes kept. */
export function maskKeepingQuotes(value: string): string {
  const q = value !== unquote(value) ? (value[0] ?? '') : '';
  return `${q}${REDACTED}${q}`;
}

/** Looks like a credential rather than a word: a digit, a base64 symbol, or an inner capital. */
export function credentialLike(v: string): boolean {
  return /[0-9+/=_~.-]/.test(v) || (/[a-z]/.test(v) && /.[A-Z]/.test(v));
}

/** Words that name an auth scheme, not a credential (`Authorization: Bearer` with the value elsewhere). */
export const AUTH_SCHEME = /^(?:bearer|basic|digest|token|negotiate)$/i;
