/** Input fields and text-rendering helpers shared by the tool definitions (`host` is the server's: server/host-argument.ts). */
import { z } from 'zod';
import type { Assessment } from '../contracts/assessment.js';

export const windowSecField = z
  .number()
  .min(0.2)
  .max(10)
  .optional()
  .describe('force a fresh two-sample measurement over this many seconds (0.2–10); omit to use the 1 Hz background sampler (instant)');

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Human-readable bytes for the text rendering only (structured data keeps integers). */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?';
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${UNITS[i]}`;
}

export function fmtPct(n: number | null | undefined): string {
  return n === null || n === undefined ? '?' : `${n}%`;
}

/** One line per non-ok assessment, or a single "all ok" line. */
export function renderAssessments(assessments: readonly Assessment[] | undefined): string {
  const list = assessments ?? [];
  const notable = list.filter((a) => a.status !== 'ok');
  if (notable.length === 0) return list.length ? 'Assessments: all ok.' : '';
  return ['Assessments:', ...notable.map((a) => `- [${a.status}] ${a.code}: ${a.message}`)].join('\n');
}

export function lines(...parts: Array<string | false | null | undefined>): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join('\n');
}
