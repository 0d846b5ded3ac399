/**
 * A large real journal for load tests: `entries` entries (default 60,000) spread over the `spanMin`
 * minutes before now (so search_logs' default "-1h" range covers them), written as Journal Export Format
 * and turned into a binary journal by the real systemd-journal-remote (test/fixtures/journal/build.ts).
 * Messages vary the way a busy host's do (sshd failures with IPs and ports, nginx errors with paths,
 * kernel lines, cron, a planted password), so facets and patterns have real work to do.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildJournal } from '../fixtures/journal/build.js';

export const BIG_JOURNAL_BOOT = '3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c';

function message(i: number): Record<string, string | number> {
  switch (i % 6) {
    case 0:
      return { _SYSTEMD_UNIT: 'ssh.service', SYSLOG_IDENTIFIER: 'sshd', _PID: 2000 + (i % 500), PRIORITY: 6, MESSAGE: `Failed password for invalid user u${i % 97} from 198.51.100.${i % 250} port ${30000 + (i % 30000)} ssh2` };
    case 1:
      return { _SYSTEMD_UNIT: 'nginx.service', SYSLOG_IDENTIFIER: 'nginx', _PID: 900, PRIORITY: 3, MESSAGE: `open() "/var/www/site${i % 40}/img/${i}.png" failed (2: No such file or directory), client: 203.0.113.${i % 200}, request id ${(i * 2654435761).toString(16)}` };
    case 2:
      return { _TRANSPORT: 'kernel', SYSLOG_IDENTIFIER: 'kernel', PRIORITY: 4, MESSAGE: `TCP: request_sock_TCP: Possible SYN flooding on port ${8000 + (i % 50)}. Sending cookies. Check SNMP counters.` };
    case 3:
      return { _SYSTEMD_UNIT: 'cron.service', SYSLOG_IDENTIFIER: 'CRON', _PID: 3000 + (i % 1000), PRIORITY: 6, MESSAGE: `(root) CMD (/usr/local/bin/job-${i % 12}.sh --slot ${i % 60})` };
    case 4:
      return { _SYSTEMD_UNIT: 'app.service', SYSLOG_IDENTIFIER: 'app', _PID: 4100, PRIORITY: 5, MESSAGE: `request ${i} took ${i % 900} ms user=${i % 300} session=${(i * 40503).toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-${String(i).padStart(12, '0')}` };
    default:
      return { _SYSTEMD_UNIT: 'deploy.service', SYSLOG_IDENTIFIER: 'deploy', _PID: 4200, PRIORITY: 6, MESSAGE: `step ${i % 9} connecting with password=hunter2big${i % 3} to db-${i % 4}` };
  }
}

/** Writes the export and builds <dir>/big.journal; returns dir (the journalDirectory to point at). */
export function buildBigJournal(dir: string, entries = 60_000, spanMin = 50, nowMs = Date.now()): string {
  mkdirSync(dir, { recursive: true });
  const firstUs = (nowMs - spanMin * 60_000) * 1000;
  const stepUs = Math.floor((spanMin * 60_000_000) / entries);
  const blocks: string[] = [];
  for (let i = 0; i < entries; i++) {
    const fields: Record<string, string | number> = {
      __REALTIME_TIMESTAMP: firstUs + i * stepUs,
      __MONOTONIC_TIMESTAMP: 1_000_000 + i * stepUs,
      _BOOT_ID: BIG_JOURNAL_BOOT,
      _HOSTNAME: 'big-host',
      _MACHINE_ID: '0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e',
      _TRANSPORT: 'syslog',
      ...message(i),
    };
    blocks.push(Object.entries(fields).map(([k, v]) => `${k}=${v}`).join('\n'));
  }
  const exportFile = join(dir, 'big.export');
  writeFileSync(exportFile, `${blocks.join('\n\n')}\n`);
  buildJournal(join(dir, 'journal'), [exportFile]);
  return join(dir, 'journal');
}
