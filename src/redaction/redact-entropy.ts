/**
 * Long high-entropy tokens: ≥ 32 chars of the base64/base64url alphabet, upper
 * case, lower case and digits, one piece between separators (-_/+=) of ≥ 16
 * chars that switches character class at least every 4 chars (not a word, file
 * name or CamelCase name), and ≥ 4.0 bits/char of Shannon entropy. Pure hex is
 * never redacted by entropy alone (digests, boot, machine and container ids are
 * everywhere in system output); hex secrets are caught by their key. Paths
 * (`/`-separated short segments), ssh public keys (`ssh-ed25519 AAAAC3…`, a
 * blob that decodes to its own key type) and fingerprints (`SHA256:…`) are kept.
 */
import { type Emit, REDACTED } from './redact-core.js';

const TOKEN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/=_-])/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const charClass = (c: string): number => (c >= 'a' && c <= 'z' ? 0 : c >= 'A' && c <= 'Z' ? 1 : 2);

/** ≥ 16 chars with upper and lower case that switch class (lower/upper/digit) at least every 4 chars on average: not a word or CamelCase name. */
function looksRandom(p: string): boolean {
  if (p.length < 16 || !/[A-Z]/.test(p) || !/[a-z]/.test(p)) return false;
  let switches = 0;
  for (let i = 1; i < p.length; i += 1) if (charClass(p[i] ?? '') !== charClass(p[i - 1] ?? '')) switches += 1;
  return switches * 4 >= p.length;
}

/** An ssh public key blob: base64 of a length-prefixed key type (`\0\0\0\x0bssh-ed25519…`). */
function isSshPublicKeyBlob(t: string): boolean {
  if (!t.startsWith('AAAA') || t.length < 16) return false;
  const head = Buffer.from(t.slice(0, 16), 'base64').toString('latin1');
  return /^\0\0\0[\x03-\x40](?:ssh-|ecdsa-|sk-|rsa-|x509v3-)/.test(head);
}

/** A token that is a secret by its looks alone (see the module comment). */
export function isHighEntropyToken(t: string): boolean {
  // hex (digests, ids), UUIDs, and C++ mangled symbols (`_ZNSt…`, in segfault and backtrace lines) are not secrets
  if (t.length < 32 || /^[0-9a-fA-F-]+$/.test(t) || UUID.test(t) || t.startsWith('_Z') || !/[0-9]/.test(t)) return false;
  // one piece between separators must itself look random: identifiers and file names
  // (`D-TRUST_Root_CA_3_2020`, `2026-11-24T20_27_12_148Z-debug-0`) are made of short words
  if (!t.split(/[-_/+=]+/).some(looksRandom)) return false;
  if (t.includes('/')) {
    // a path: absolute with short or hex segments, or relative with lower-case/hex segments
    const segments = t.split('/');
    const absolute = t.startsWith('/') && segments.every((s) => s.length <= 24 || /^[0-9a-fA-F]+$/.test(s));
    if (absolute || segments.every((s) => /^[a-z0-9._-]*$/.test(s) || /^[0-9a-fA-F]+$/.test(s))) return false;
  }
  if (isSshPublicKeyBlob(t)) return false;
  return entropy(t) >= 4.0;
}

/** A public key fingerprint (`SHA256:…` in sshd logs) is not a secret. */
const FINGERPRINT = /(?:sha256|sha512|sha384|sha1|md5):$/i;

export function redactEntropy(line: string, emit: Emit): string {
  if (line.length < 32) return line;
  return line.replace(TOKEN, (t: string, at: number) => {
    if (!isHighEntropyToken(t) || FINGERPRINT.test(line.slice(Math.max(0, at - 7), at))) return t;
    emit('high_entropy');
    return REDACTED;
  });
}
