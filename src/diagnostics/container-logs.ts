/**
 * get_container_logs: the tail of one container's stdout/stderr from the engine's logs endpoint
 * (multiplexed or raw TTY stream), split into timestamped lines, filtered by a literal substring,
 * redacted and clipped.
 */
import { z } from 'zod';
import { HostlensError } from '../contracts/errors.js';
import type { ApiOptions, ContainerInspect, LogFrame } from '../collectors/containers.js';
import { API_PREFIX, apiGet, apiJson, demuxLogs, engineMessage, parseInspect } from '../collectors/containers.js';
import { clipString } from '../collectors/read.js';
import { runtimeSchema } from './containers.js';
import { redact } from '../redaction/redact.js';

/** Container id prefix or name (Docker's name charset); nothing else reaches the API path. */
export const CONTAINER_REF = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MAX_LINE_CHARS = 2000;
/** With grep, this many times `tail` lines are fetched and searched (at most MAX_SCAN). */
const GREP_SCAN_FACTOR = 10;
const MAX_SCAN = 10_000;

export const containerLogsDataSchema = z.object({
  /** false when no Docker/Podman API answered (see warnings) */
  available: z.boolean(),
  runtime: runtimeSchema,
  container: z.object({ id: z.string(), name: z.string().nullable(), state: z.string().nullable(), tty: z.boolean() }).nullable(),
  /** oldest first; ts RFC 3339 UTC, from the engine; text redacted, clipped with …[+N chars] */
  lines: z.array(z.object({ ts: z.string().nullable(), stream: z.enum(['stdout', 'stderr']), text: z.string() })),
  /** lines the engine returned (the last `tail`, or with grep up to 10 × tail) */
  scannedLines: z.number().int(),
  /** of scannedLines, those matching grep (all when no grep) */
  matchedLines: z.number().int(),
  /** the engine returned as many lines as asked: older lines exist that were not scanned */
  moreBefore: z.boolean(),
  /** secrets replaced by [REDACTED] in the returned lines */
  redactionCount: z.number().int(),
});
type ContainerLogsData = z.infer<typeof containerLogsDataSchema>;

/** Inspect by id prefix or name; 404 → not_found (unknown container); other failures → unavailable with the engine's text. */
export async function inspectContainer(socket: string, ref: string, opts: ApiOptions): Promise<ContainerInspect> {
  if (!CONTAINER_REF.test(ref)) throw new HostlensError('invalid_argument', `"${ref.slice(0, 64)}" is not a container id or name (letters, digits, "_.-", ≤ 128 chars)`);
  const r = await apiJson(socket, `${API_PREFIX}/containers/${encodeURIComponent(ref)}/json`, opts);
  if (!r.ok && r.status === 404) throw new HostlensError('not_found', `no container "${ref}" on this engine (list_containers shows ids and names)`);
  if (!r.ok) throw new HostlensError('unavailable', `the container engine could not inspect "${ref}": ${r.message}`);
  const c = parseInspect(r.value);
  if (c === null) throw new HostlensError('unavailable', `the container engine returned a malformed document for "${ref}"`);
  return c;
}

/** Frames → lines, joining a stream's partial lines across frames. */
function framesToLines(frames: readonly LogFrame[]): Array<{ stream: 'stdout' | 'stderr'; raw: string }> {
  const out: Array<{ stream: 'stdout' | 'stderr'; raw: string }> = [];
  const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  for (const f of frames) {
    const parts = (pending[f.stream] + f.text).split('\n');
    pending[f.stream] = parts.pop() ?? '';
    for (const p of parts) out.push({ stream: f.stream, raw: p.replace(/\r$/, '') });
  }
  for (const s of ['stdout', 'stderr'] as const) if (pending[s] !== '') out.push({ stream: s, raw: pending[s].replace(/\r$/, '') });
  return out;
}

/** "2024-05-01T10:00:00.123456789Z message" → ts (RFC 3339 ms) + text; no timestamp → ts null. */
function splitTimestamp(raw: string): { ts: string | null; text: string } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?/.exec(raw);
  if (!m) return { ts: null, text: raw };
  const t = Date.parse(m[1]!.replace(/(\.\d{3})\d+/, '$1'));
  return { ts: Number.isFinite(t) ? new Date(t).toISOString() : null, text: raw.slice(m[0].length) };
}

interface LogQuery {
  tail: number;
  sinceMs: number | null;
  grep: string | null;
}

export async function readContainerLogs(socket: string, c: ContainerInspect, q: LogQuery, opts: ApiOptions): Promise<{ data: Omit<ContainerLogsData, 'available' | 'runtime'>; warnings: string[]; cut: boolean }> {
  const warnings: string[] = [];
  const ask = q.grep === null ? q.tail : Math.min(MAX_SCAN, q.tail * GREP_SCAN_FACTOR);
  const params = new URLSearchParams({ stdout: '1', stderr: '1', timestamps: '1', tail: String(ask) });
  if (q.sinceMs !== null) params.set('since', String(Math.floor(q.sinceMs / 1000)));
  const path = `${API_PREFIX}/containers/${c.id}/logs?${params.toString()}`;
  const r = await apiGet(socket, path, opts);
  if (r.error !== null && r.body.length === 0) throw new HostlensError('unavailable', `the container engine did not return logs for ${c.name ?? c.id.slice(0, 12)}: ${r.error}`);
  if (r.status !== null && (r.status < 200 || r.status > 299)) {
    const hint = r.status === 501 ? ' (its logging driver, e.g. syslog or none, keeps no logs the engine can read: look in the journal or syslog)' : '';
    throw new HostlensError('unavailable', `the container engine refused the logs of ${c.name ?? c.id.slice(0, 12)}: HTTP ${r.status} ${engineMessage(r.body)}`.trim() + hint);
  }
  if (r.error !== null) warnings.push(`logs stream ended early (${r.error}): the lines read so far are shown`);
  if (r.capped) warnings.push(`logs response cut at ${r.body.length} bytes: the newest lines may be missing`);
  const { frames, raw, partial } = demuxLogs(r.body, c.tty);
  if (raw && !c.tty && r.body.length > 0) warnings.push('the logs stream was not multiplexed although the container has no TTY: read as raw text');
  if (partial) warnings.push('the last log frame was incomplete or garbled');
  const all = framesToLines(frames).map((l) => ({ stream: l.stream, ...splitTimestamp(l.raw) }));
  const needle = q.grep?.toLowerCase() ?? null;
  const matched = needle === null ? all : all.filter((l) => l.text.toLowerCase().includes(needle));
  const shown = matched.slice(-q.tail);
  let redactionCount = 0;
  const lines = shown.map((l) => {
    const red = redact(l.text);
    redactionCount += red.count;
    return { ts: l.ts, stream: l.stream, text: clipString(red.text, MAX_LINE_CHARS) };
  });
  return {
    data: {
      container: { id: c.id.slice(0, 12), name: c.name, state: c.status, tty: c.tty },
      lines,
      scannedLines: all.length,
      matchedLines: matched.length,
      moreBefore: all.length >= ask,
      redactionCount,
    },
    warnings,
    cut: matched.length > shown.length,
  };
}
