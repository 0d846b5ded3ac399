/** The standard output envelope every tool's structuredContent follows. */
import { z } from 'zod';
import { assessmentSchema } from '../contracts/assessment.js';

const truncatedSchema = z.object({
  returned: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  nextCursor: z.string().optional(),
});

/**
 * The fields are described once, in the server instructions (app/product-factory.ts), not in every tool's output
 * schema: with every toolset, 28 copies of their descriptions (and the assessment's) were 21 KB of tools/list.
 */
export function envelopeSchema<D extends z.ZodType>(data: D) {
  return z.object({
    /** Inventory id of the host; "local" for this machine. */
    host: z.string(),
    /** RFC 3339 UTC time the answer was collected. */
    collectedAt: z.string(),
    /** Length of the measurement window behind every rate in the result. */
    windowSec: z.number().optional(),
    data,
    assessments: z.array(assessmentSchema),
    /** Present when a list was cut. */
    truncated: truncatedSchema.optional(),
    /** What could not be read, and why. */
    warnings: z.array(z.string()).optional(),
    /** How many values the full result (before any cut to fit the budget) shows as [REDACTED]. */
    redactions: z.number().int().nonnegative().optional(),
  });
}
