/** Input fields and text-rendering helpers shared by the tool definitions (`host` is the server's: server/host-argument.ts). */
import { z } from 'zod';
import type { Assessment } from '../contracts/assessment.js';
import { NA, show } from '../util/missing.js';


/** The sampler, the window and progress are explained once in the server instructions (app/product-factory.ts). */
export const windowSecField = z.number().min(0.2).max(10).optional().describe('seconds to measure afresh (omit: instant, from the 1 Hz sampler)');

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Human-readable bytes for the text rendering only (structured data keeps integers). */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return NA;
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${UNITS[i]}`;
}

/** Bytes per second ("1.5 MiB/s"), or "n/a". */
export function fmtBytesPerSec(n: number | null | undefined): string {
  return show(n, (v) => `${fmtBytes(v)}/s`);
}

export function fmtPct(n: number | null | undefined): string {
  return show(n, '%');
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
