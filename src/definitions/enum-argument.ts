/**
 * An enumerated prompt argument. Prompt arguments are strings a person types
 * (a client shows a text box), so "SEV2", "Sev 2" or " sev-2 " mean sev2: the
 * value is compared with the canonical ones ignoring case, surrounding space
 * and `-`/`_`/space between words, plus any aliases, and the prompt's build
 * only ever sees the canonical value. Anything else is refused naming the
 * argument and listing the canonical values; completion offers the canonical
 * values for a prefix compared the same loose way.
 */
import { z } from 'zod';

/** The spelling two values are compared by: lower case, no separators. */
function loose(text: string): string {
  return text.trim().toLowerCase().replace(/[\s_-]+/g, '');
}

interface EnumArgumentOptions<T extends string> {
  /** Other spellings of a value (compared loosely too), e.g. { '2': 'sev2' }. */
  aliases?: Readonly<Record<string, T>>;
  /** Added to the refusal in brackets, e.g. what the values mean. */
  hint?: string;
}

/**
 * `schema` (a string argument that yields one of `values`) and `complete`
 * (for the prompt's `complete` entry). Throws when two values, or a value and
 * an alias, read alike: the loose comparison could not tell them apart.
 */
export function enumArgument<const V extends readonly [string, ...string[]]>(name: string, values: V, options: EnumArgumentOptions<V[number]> = {}) {
  type T = V[number];
  const byKey = new Map<string, T>();
  const add = (spelling: string, value: T): void => {
    const key = loose(spelling);
    const known = byKey.get(key);
    if (known !== undefined && known !== value) throw new Error(`${name}: "${spelling}" reads like ${known}, so it cannot also mean ${value}`);
    byKey.set(key, value);
  };
  for (const v of values) add(v, v);
  for (const [alias, v] of Object.entries(options.aliases ?? {})) add(alias, v);

  const list = values.join(', ');
  const schema = z.preprocess(
    (input) => (typeof input === 'string' ? (byKey.get(loose(input)) ?? input) : input),
    z.enum(values, {
      error: (issue) => (issue.input === undefined ? `${name} is required: one of ${list}` : `${name} must be one of ${list}${options.hint ? ` (${options.hint})` : ''}`),
    }),
  );

  const complete = (typed: string): T[] => {
    const prefix = loose(typed);
    const hits = new Set<T>();
    for (const [key, v] of byKey) if (key.startsWith(prefix)) hits.add(v);
    return values.filter((v) => hits.has(v));
  };

  return { schema, complete };
}
