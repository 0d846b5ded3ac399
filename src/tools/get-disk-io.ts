import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { diskIoDataSchema, readDiskIo } from '../diagnostics/disks.js';
import { fmtBytes, fmtPct, lines, renderAssessments, windowSecField, fmtBytesPerSec } from './common.js';
import { ifKnown } from '../util/missing.js';
import { pageList, renderMore } from './list-page.js';
import { cursorField } from './paging.js';

const MAX_LIMIT = 256;
const DEFAULT_LIMIT = 64;

export const getDiskIo = defineTool({
  name: 'get_disk_io',
  title: 'Disk I/O per device',
  description:
    'Per block device over the window, like iostat -x: reads and writes per second, read and write bytes per second, utilPct (share of the window with I/O in flight), readAwaitMs / writeAwaitMs (average ms per completed request, queueing included), avgQueueDepth. Whole disks, dm-*, md RAID and NVMe namespaces (no partitions; loop, ram and zram only when they did I/O), busiest first; assessments judge every device. Use it when iowait or I/O pressure is high, to find the saturated or slow device.',
  toolset: 'core',
  input: z
    .object({
      windowSec: windowSecField,
      devices: z.array(z.string().max(64)).max(64).optional().describe('only these kernel device names, e.g. "sda", "dm-0" (/dev/ prefix accepted); default all'),
      limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe(`devices per page (default ${DEFAULT_LIMIT})`),
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
      `Disk I/O${ifKnown(windowSec, (w) => ` over ${w} s`)} (${d.source}), ${truncated ? `busiest ${truncated.returned} of ${truncated.total}` : d.devices.length} device(s):`,
      ...d.devices.map(
        (x) =>
          `- ${x.name}: util ${fmtPct(x.utilPct)}, ${x.readsPerSec} r/s (${fmtBytesPerSec(x.readBytesPerSec)}${ifKnown(x.readAwaitMs, (ms) => `, await ${ms} ms`)}), ${x.writesPerSec} w/s (${fmtBytesPerSec(x.writeBytesPerSec)}${ifKnown(x.writeAwaitMs, (ms) => `, await ${ms} ms`)}), queue ${x.avgQueueDepth}`,
      ),
      renderMore(truncated),
      renderAssessments(assessments),
    );
  },
});
