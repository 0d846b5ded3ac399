/**
 * Deterministic input mutations for the parser fuzz: a seeded PRNG (mulberry32) and five kinds of
 * damage to a real /proc file — truncated at a random byte, random bytes, empty, huge lines / NULs,
 * and wrong numbers (negative, NaN, 2^64, overflowing, fractional, hex).
 */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable 32-bit hash of a string (FNV-1a), to derive one seed per target from the base seed. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export const KINDS = ['truncated', 'random', 'empty', 'huge', 'numbers'] as const;
export type Kind = (typeof KINDS)[number];

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, list: readonly T[]): T => list[int(rng, list.length)]!;

export const WRONG_NUMBERS = ['-1', '-9223372036854775808', 'NaN', '18446744073709551616', '18446744073709551615', '1e308', '99999999999999999999999999', '0.5', '-0', '0x1f', 'Infinity', ''] as const;

function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(rng, 256);
  return b;
}

function huge(rng: Rng, original: Buffer): Buffer {
  const text = original.toString('latin1');
  switch (int(rng, 3)) {
    case 0: {
      // one enormous line (200–600 KiB) of digits or letters inserted at a line start
      const len = 200_000 + int(rng, 400_000);
      const line = (rng() < 0.5 ? '9' : 'x').repeat(len);
      const lines = text.split('\n');
      lines.splice(int(rng, lines.length + 1), 0, line);
      return Buffer.from(lines.join('\n'), 'latin1');
    }
    case 1: {
      // NUL bytes sprinkled through the file
      const b = Buffer.from(original);
      const n = 1 + int(rng, 16);
      for (let i = 0; i < n && b.length > 0; i++) b[int(rng, b.length)] = 0;
      return b;
    }
    default:
      // a very long file of repeated lines (about 1 MiB)
      return Buffer.from(text.repeat(Math.max(1, Math.ceil(1_048_576 / Math.max(1, text.length)))).slice(0, 1_048_576), 'latin1');
  }
}

function wrongNumbers(rng: Rng, original: Buffer): Buffer {
  const text = original.toString('latin1');
  const share = 0.1 + rng() * 0.9;
  return Buffer.from(text.replace(/-?\d+(\.\d+)?/g, (m) => (rng() < share ? pick(rng, WRONG_NUMBERS) : m)), 'latin1');
}

export function mutate(rng: Rng, kind: Kind, original: Buffer): Buffer {
  switch (kind) {
    case 'truncated':
      return original.subarray(0, int(rng, Math.max(1, original.length)));
    case 'random':
      return randomBytes(rng, 1 + int(rng, 4096));
    case 'empty':
      return Buffer.alloc(0);
    case 'huge':
      return huge(rng, original);
    case 'numbers':
      return wrongNumbers(rng, original);
  }
}
