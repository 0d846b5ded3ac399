/** The built-in runbooks, by topic (diag://runbooks/{topic}); markdown kept as TS strings so the build ships them. */
import { containerThrottling } from './container-throttling.js';
import { diskFull } from './disk-full.js';
import { highCpu } from './high-cpu.js';
import { ioLatency } from './io-latency.js';
import { memoryPressure } from './memory-pressure.js';
import { networkDrops } from './network-drops.js';
import { oom } from './oom.js';
import { serviceCrashloop } from './service-crashloop.js';

interface Runbook {
  topic: string;
  title: string;
  markdown: string;
}

function runbook(topic: string, markdown: string): Runbook {
  const title = (markdown.split('\n', 1)[0] ?? topic).replace(/^#\s*/, '');
  return { topic, title, markdown };
}

export const RUNBOOKS: readonly Runbook[] = [
  runbook('high-cpu', highCpu),
  runbook('memory-pressure', memoryPressure),
  runbook('oom', oom),
  runbook('disk-full', diskFull),
  runbook('io-latency', ioLatency),
  runbook('network-drops', networkDrops),
  runbook('service-crashloop', serviceCrashloop),
  runbook('container-throttling', containerThrottling),
];

export const RUNBOOK_TOPICS = RUNBOOKS.map((r) => r.topic);

export function runbookUri(topic: string): string {
  return `diag://runbooks/${topic}`;
}
