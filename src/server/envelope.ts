/** The standard output envelope every tool's structuredContent follows. */
import { z } from 'zod';
import { assessmentSchema } from '../contracts/assessment.js';

const truncatedSchema = z.object({
  returned: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  nextCursor: z.string().optional(),
});

export function envelopeSchema<D extends z.ZodType>(data: D) {
  return z.object({
    host: z.string().describe('inventory id of the host; "local" for this machine'),
    collectedAt: z.string().describe('RFC 3339 UTC time the answer was collected'),
    windowSec: z.number().optional().describe('length of the measurement window behind every rate in this result'),
    data,
    assessments: z.array(assessmentSchema),
    truncated: truncatedSchema.optional().describe('present when a list was cut'),
    warnings: z.array(z.string()).optional().describe('what could not be read, and why'),
    redactions: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('how many values the full result (before any cut to fit the result budget) shows as [REDACTED] (secrets are redacted by default from every string: keys, tokens, passwords, URL userinfo, PEM blocks, high-entropy strings)'),
  });
}
