/**
 * Assessments: the unit of health judgement in every tool result.
 * `{ area, status, code, message, value, threshold, unit, evidence? }`.
 */
import { z } from 'zod';

export const STATUSES = ['ok', 'warning', 'critical', 'unknown'] as const;
export type Status = (typeof STATUSES)[number];

/** Listed in every tool's output schema, so its fields are described once, in the server instructions. */
export const assessmentSchema = z.object({
  /** cpu, memory, filesystem, load, pressure, … */
  area: z.string(),
  status: z.enum(STATUSES),
  /** A stable identifier, e.g. memory.available_low. */
  code: z.string(),
  message: z.string(),
  value: z.number().nullable(),
  /** The threshold the value was compared with: the one crossed, or the warning level when ok. */
  threshold: z.number().nullable(),
  unit: z.string(),
  evidence: z.array(z.string()).optional(),
});
export type Assessment = z.infer<typeof assessmentSchema>;

const RANK: Record<Status, number> = { critical: 3, warning: 2, unknown: 1, ok: 0 };

export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'ok';
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

export function statusRank(status: Status): number {
  return RANK[status];
}
