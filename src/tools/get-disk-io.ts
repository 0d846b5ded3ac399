import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { diskIoDataSchema, readDiskIo } from '../diagnostics/disks.js';
import { fmtBytes, fmtPct, lines, renderAssessments, windowSecField } from './common.js';
import { pageList, renderMore } from './list-page.js';
import { cursorField } from './paging.js';

const MAX_LIMIT = 256;
const DEFAULT_LIMIT = 64;

export const getDiskIo = defineTool({
  name: 'get_disk_io',
  title: 'Disk I/O per device',
  description:
    'Per block device I/O over a stated window, like iostat -x: reads and writes per second, read and write bytes per second, utilPct (share of the window the device had I/O in flight), readAwaitMs / writeAwaitMs (average ms per completed request, queueing included) and avgQueueDepth. Whole disks, device-mapper (dm-*), md RAID and NVMe namespaces; partitions are not listed; loop, ram and zram devices only when they did I/O. Use it when CPU iowait or I/O pressure is high, to find which device is saturated or slow. Without windowSec the answer is instant, from the 1 Hz background sampler (windowSec ≈ 1); with windowSec (0.2–10 s) it measures afresh and reports progress. Filter with devices (e.g. ["sda", "nvme0n1"]). Busiest first, at most `limit` devices per call (default 64); when more exist, `truncated` gives the total and a nextCursor to pass as `cursor` (the ranking is re-measured on each call). Assessments judge every device. Never a since-boot average.',
  toolset: 'core',
  input: z
    .object({
      windowSec: windowSecField,
      devices: z.array(z.string().max(64)).max(64).optional().describe('only these devices (kernel names such as "sda" or "dm-0"; a /dev/ prefix is accepted); default all'),
      limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe(`at most this many devices per page (1–${MAX_LIMIT}, default ${DEFAULT_LIMIT})`),
      cursor: cursorField,
    })
    .strict(),
  data: diskIoDataSchema,
  async handler({ windowSec, devices, limit, cursor }, { services, signal, progress }) {
    const r = await readDiskIo(services, { ...(windowSec !== undefined ? { windowSec } : {}), ...(devices ? { devices } : {}), signal, progress });
    // readDiskIo warns itself when it listed only the busiest MAX_DEVICES.
    const p = pageList(r.data.devices, 'devices', { limit: limit ?? DEFAULT_LIMIT, cursor, query: { devices: devices ?? null } }, r.truncated);
    return { data: { ...r.data, devices: p.items }, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings, page: p.page, ...(p.truncated ? { truncated: p.truncated } : {}) };
  },
  render({ data: d, windowSec, assessments, truncated }) {
    return lines(
      `Disk I/O over ${windowSec ?? '?'} s (${d.source}), ${truncated ? `busiest ${truncated.returned} of ${truncated.total}` : d.devices.length} device(s):`,
      ...d.devices.map(
        (x) =>
          `- ${x.name}: util ${fmtPct(x.utilPct)}, ${x.readsPerSec} r/s (${fmtBytes(x.readBytesPerSec)}/s, await ${x.readAwaitMs ?? '-'} ms), ${x.writesPerSec} w/s (${fmtBytes(x.writeBytesPerSec)}/s, await ${x.writeAwaitMs ?? '-'} ms), queue ${x.avgQueueDepth}`,
      ),
      renderMore(truncated),
      renderAssessments(assessments),
    );
  },
});
