import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { anomaliesDataSchema, anomaliesHeader, anomalyRanges, assessAnomalies, coverageWarning, MIN_POINTS, rankAnomalies } from '../diagnostics/anomalies.js';
import { lines, renderAssessments } from './common.js';
import { cursorField, paginate } from './paging.js';

const time = (what: string) => z.string().min(1).max(64).describe(`${what}: "now", "-10m", "-2h" or RFC 3339; within 24 h`);
const rangeInput = (what: string, untilDefault: string) => z.object({ since: time(`${what} start`), until: time(`${what} end (default ${untilDefault})`).optional() }).strict();

export const detectAnomalies = defineTool({
  name: 'detect_anomalies',
  title: 'Detect anomalies (window vs baseline)',
  description:
    `Which host metrics changed during an incident? Compares every metric of the sampler history (CPU, load, memory, swap, major faults, PSI, TCP retransmissions, run/blocked threads, per-disk util and bytes/s, per-interface bytes/s, filesystem used %) between a window and a baseline using medians: robustZ = (windowMedian − baselineMedian) / (1.4826·MAD of the baseline, floored at 5 % of the baseline median or a per-unit minimum, so a flat baseline cannot turn a small drift into a big score). Ranked by |robustZ| (≥ 3.5 is a strong change; < 1 not listed); metrics with < ${MIN_POINTS} points on either side are skipped and named. A warning for each key metric that moved the harmful way by ≥ the anomaly.robustZ threshold. History: 15 min at 1 s and 24 h at 1 min since the server started. Follow up with get_history for the shape of a ranked metric.`,
  toolset: 'history',
  input: z
    .object({
      window: rangeInput('incident window', 'now').describe('the period to examine, e.g. {"since": "-10m"}'),
      baseline: rangeInput('baseline', 'the window start').optional().describe('the normal period to compare with (default: as long as the window, right before it)'),
      limit: z.number().int().min(1).max(50).optional().describe('ranked metrics per page (default 10)'),
      cursor: cursorField,
    })
    .strict(),
  examples: [{ args: { window: { since: '-1m' } } }],
  data: anomaliesDataSchema,
  async handler({ window, baseline, limit, cursor }, { services }) {
    const history = services.sampler.history;
    const ranges = anomalyRanges(history, window, baseline, Date.now());
    const r = rankAnomalies(history, ranges);
    const page = paginate(r.ranked, { limit: limit ?? 10, cursor, query: { window, baseline: baseline ?? null, limit: limit ?? 10 } });
    const warnings: string[] = [];
    const cov = coverageWarning(history, ranges);
    if (cov) warnings.push(cov);
    if (r.skipped.length > 0) warnings.push(`${r.skipped.length} metric(s) skipped with fewer than ${MIN_POINTS} points on one side: ${r.skipped.slice(0, 10).join(', ')}${r.skipped.length > 10 ? ', …' : ''}`);
    return {
      data: { ...anomaliesHeader(ranges, r.considered, r.skipped), ranked: page.items },
      assessments: assessAnomalies(r.ranked, services, r.considered),
      ...(page.truncated ? { truncated: page.truncated } : {}),
      page: { field: 'ranked', ...page.page },
      warnings,
    };
  },
  render({ data: d, assessments }) {
    return lines(
      `window ${d.window.from} → ${d.window.to} vs baseline ${d.baseline.from} → ${d.baseline.to} (${d.resolution}); ${d.consideredCount} metrics compared, ${d.skippedTooFewPoints.count} skipped`,
      d.ranked.length === 0 ? 'no metric moved (|robust z| ≥ 1)' : d.ranked.map((a) => `${a.metric} ${a.direction} ${a.baselineMedian} → ${a.windowMedian} ${a.unit} (z ${a.robustZ}${a.changePct !== null ? `, ${a.changePct}%` : ''})`).join('\n'),
      renderAssessments(assessments),
    );
  },
});
