/**
 * Kernel tunables (sysctl) read from proc/sys: "vm.swappiness" is proc/sys/vm/swappiness.
 * A prefix selects a subtree ("vm.", "net.core.") or the keys of one directory whose
 * name starts with the last segment ("vm.dirty_"). Nothing outside proc/sys is ever
 * read: prefixes are checked against a strict character set, symlinks are skipped,
 * and the walk is bounded in entries visited and keys returned.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { listDir, readTextDetailed } from './read.js';

/** Letters, digits, '_', '-' and '.' separators; no empty segment except a trailing one. */
export const SYSCTL_PREFIX_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/;

export const SYSCTL_MAX_KEYS = 200;
/** Directory entries examined at most per call (net.ipv4.conf.* on a host with many interfaces). */
const MAX_VISITED = 20_000;
const MAX_VALUE_BYTES = 4096;
const MAX_VALUE_CHARS = 512;

interface SysctlRead {
  /** Sorted by key; at most maxKeys. */
  values: Array<{ key: string; value: string | number }>;
  /** Matching readable keys found (≥ values.length; may be a lower bound when the walk was cut). */
  total: number;
  /** Matching entries that could not be read (write-only like vm.drop_caches, or permission denied). */
  unreadable: number;
  warnings: string[];
}

/** "123" → 123, "-1" → -1; anything else (several fields, words) → the text with whitespace collapsed. */
export function sysctlValue(text: string): string | number {
  const s = text.trim().replace(/\s+/g, ' ');
  if (/^-?\d+$/.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
  }
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}…` : s;
}

function isDir(path: string): boolean | null {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return null;
    return st.isDirectory();
  } catch {
    return null;
  }
}

/** Reads the tunables under `prefix`; never throws. An invalid prefix yields no values and a warning. */
export function readSysctl(ctx: CollectorContext, prefix: string, maxKeys = SYSCTL_MAX_KEYS): SysctlRead {
  const out: SysctlRead = { values: [], total: 0, unreadable: 0, warnings: [] };
  if (!SYSCTL_PREFIX_RE.test(prefix)) {
    out.warnings.push('invalid prefix: use dotted sysctl names such as "vm." or "net.core.somaxconn"');
    return out;
  }
  const base = join(ctx.root, 'proc/sys');
  const segments = prefix.split('.');
  const partial = segments.pop() ?? '';
  const dirRel = segments.join('/');
  const found: Array<{ key: string; path: string }> = [];
  let visited = 0;
  let cut = false;

  const walk = (rel: string, filter: string | null): void => {
    if (cut) return;
    const names = listDir(join(base, rel));
    if (names === null) return;
    names.sort();
    for (const name of names) {
      if (filter !== null && !name.startsWith(filter)) continue;
      if (++visited > MAX_VISITED) {
        cut = true;
        return;
      }
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const kind = isDir(join(base, childRel));
      if (kind === null) continue;
      if (kind) walk(childRel, null);
      else found.push({ key: childRel.replaceAll('/', '.'), path: join(base, childRel) });
      if (cut) return;
    }
  };
  if (dirRel !== '' && isDir(join(base, dirRel)) !== true) {
    out.warnings.push(`no sysctl directory for prefix "${prefix}"`);
    return out;
  }
  walk(dirRel, partial);
  if (cut) out.warnings.push(`stopped after examining ${MAX_VISITED} entries; use a longer prefix`);

  found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const f of found) {
    const r = readTextDetailed(f.path, MAX_VALUE_BYTES);
    if (r.text === null) {
      out.unreadable += 1;
      continue;
    }
    out.total += 1;
    if (out.values.length < maxKeys) out.values.push({ key: f.key, value: sysctlValue(r.text) });
  }
  if (found.length === 0 && out.warnings.length === 0) out.warnings.push(`no sysctl key matches "${prefix}"`);
  return out;
}
