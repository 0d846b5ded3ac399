import { z } from 'zod';
import { definePrompt } from '../definitions/types.js';
import { readFilesystems } from '../collectors/filesystems.js';
import { playbookText, symptomArg } from './playbook.js';

export const investigateDiskFullPrompt = definePrompt({
  name: 'investigate_disk_full',
  title: 'Investigate a full filesystem',
  description: 'Playbook for "No space left on device": capacity and inodes per mount, where the bytes are, deleted-but-open files (find_space_hogs), and the growth rate with an ETA to full. Follows diag://runbooks/disk-full.',
  args: z.object({
    mount: z
      .string()
      .max(256)
      .regex(/^\//, 'mount must be an absolute path such as /var')
      .optional()
      .describe('the mount point to focus on, e.g. /var (completion offers the mounted filesystems); default: the fullest'),
    symptom: symptomArg,
  }),
  completeFrom: { mount: 'get_filesystems' },
  complete: {
    mount: (value, services) =>
      readFilesystems(services.collectors, { includePseudo: false })
        .filesystems.map((f) => f.mount)
        .filter((m) => m.startsWith(value))
        .slice(0, 100),
  },
  build: ({ mount, symptom }) => {
    const target = mount ? `the filesystem mounted at ${mount}` : 'the fullest filesystem';
    const mountArg = mount ? `mount "${mount}"` : 'the mount triage_host names as fullestMount';
    return [
      {
        role: 'user',
        text: playbookText({
          goal: `Find out what fills ${target} on this host, how fast it grows and when it will be full, using the hostlens tools.`,
          symptom,
          runbook: 'disk-full',
          steps: [
            `get_filesystems${mount ? ` with mount "${mount}"` : ''}: usedPct (warning 85%, critical 95%), availBytes, sizeBytes, inodesUsedPct (warning 85%) and readOnly — free bytes with 100% inodes means inode exhaustion; readOnly on a writable mount means filesystem errors, not space.`,
            `capture_snapshot with label "disk: t0" now, to measure growth later.`,
            `find_space_hogs with path set to ${mountArg} (or an allow-listed directory under it), depth 2–3: entries[{path, sizeBytes, fileCount}] — where the bytes are, and a huge fileCount for inode exhaustion.`,
            'The same find_space_hogs result: deletedOpen[{pid, comm, fd, path, sizeBytes}] — deleted files still held open keep their space until the process closes them (rotated logs are typical); sum their sizeBytes.',
            'Growth ETA: after a few minutes capture_snapshot with label "disk: t1" and diff_snapshots (history toolset, if enabled) with a = the t0 id, b = the t1 id: filesystems.<mount>.usedBytes delta divided by elapsedSec = growth in bytes/s; hours to full = availBytes / (bytes/s × 3600). If enabled, get_history for fs.<mount>.usedPct gives the trend directly. Say so when the window is too short to trust.',
            'top_processes with sortBy "cpu": a process writing fast (a logger in a loop, core dumps) is often among the busiest.',
          ],
          conclude: `Conclude: what uses the space on ${target} (paths with sizes in bytes), how much deleted-open files hold, the growth rate and ETA to full (or why it could not be estimated), and the safe cleanup steps from the runbook — never deleting database or journal files.`,
        }),
      },
    ];
  },
});
