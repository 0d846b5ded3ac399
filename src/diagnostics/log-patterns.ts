/**
 * Log message templates: the variable parts of a message (UUIDs, IP addresses, MAC addresses, hex ids,
 * paths containing digits, numbers) are masked so that "Failed password for root from 10.0.0.7 port 5512"
 * and "… from 10.0.0.9 port 6120" count as one pattern. Masks are plain tokens (<uuid>, <ip>, <mac>,
 * <hex>, <path>, <n>); words without digits are kept.
 */

const MASKS: ReadonlyArray<[RegExp, string | ((m: string) => string)]> = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/gi, '<mac>'],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, '<ip>'],
  // IPv6: at least two colons and hex groups (after MAC, so MACs are not taken for addresses)
  [/(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])/gi, (m) => maskIpv6(m)],
  // a whole path-like run (matched once from its start: linear), masked when any part has a digit
  [/(?<![\w.@+/-])\/[\w.@+/-]*/g, (m) => (/\d/.test(m) ? '<path>' : m)],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}\b/gi, '<hex>'],
  [/[+-]?\b\d+(?:[.,]\d+)*(?:[a-zA-Z%]{1,3}\b)?/g, '<n>'],
];

function maskIpv6(m: string): string {
  // an address has "::" or a hex letter next to its digits; "10:20:30" is a time (its numbers are masked later)
  return /\d/.test(m) && (m.includes('::') || /[a-f]/i.test(m)) ? '<ip>' : m;
}

/** The template of one message. */
export function templateOf(message: string): string {
  let t = message.length > 2000 ? message.slice(0, 2000) : message;
  for (const [re, mask] of MASKS) {
    t = typeof mask === 'string' ? t.replace(re, mask) : t.replace(re, (m: string) => mask(m));
  }
  return t.replace(/\s+/g, ' ').trim();
}

interface PatternGroup {
  template: string;
  count: number;
  firstUs: number;
  lastUs: number;
  /** The newest message of the group. */
  example: string;
  exampleUs: number;
}

/** Groups messages by template, one at a time (so a caller can do it in slices); `max` bounds the distinct templates kept. */
export class PatternGrouper {
  private readonly map = new Map<string, PatternGroup>();
  overflow = 0;
  constructor(private readonly max = 5000) {}

  add(message: string, tsUs: number): void {
    const template = templateOf(message);
    const g = this.map.get(template);
    if (g) {
      g.count += 1;
      if (tsUs < g.firstUs) g.firstUs = tsUs;
      if (tsUs > g.lastUs) {
        g.lastUs = tsUs;
        g.example = message;
        g.exampleUs = tsUs;
      }
    } else if (this.map.size < this.max) {
      this.map.set(template, { template, count: 1, firstUs: tsUs, lastUs: tsUs, example: message, exampleUs: tsUs });
    } else {
      this.overflow += 1;
    }
  }

  /** Ranked by count (then newest, then template). */
  groups(): PatternGroup[] {
    return [...this.map.values()].sort((a, b) => b.count - a.count || b.lastUs - a.lastUs || (a.template < b.template ? -1 : 1));
  }
}

/** Groups messages by template; ranked by count (then newest). `max` bounds the distinct templates kept. */
export function groupPatterns(items: Iterable<{ message: string; tsUs: number }>, max = 5000): { groups: PatternGroup[]; overflow: number } {
  const grouper = new PatternGrouper(max);
  for (const { message, tsUs } of items) grouper.add(message, tsUs);
  return { groups: grouper.groups(), overflow: grouper.overflow };
}
