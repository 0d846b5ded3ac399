/**
 * The V8 settings hostlens runs with, whichever way it is started (`npm start`,
 * the `hostlens` bin, `npx hostlens`, `node dist/app/cli.js` in a client's
 * config): the entry (cli.ts) applies them itself before it loads the rest of
 * hostlens, so no launch path depends on its command line. Idle VmRSS 3 s after
 * listening, 2 vCPU VM: ≈ 104 MiB without them, ≈ 80.5 MiB with them.
 *
 * - `--max-semi-space-size=1`: a 1 MiB semi-space promotes early and keeps the
 *   young generation small (the default lets it grow to 16 MiB while the
 *   modules load: new space 32 MiB, ≈ 23 MiB of the idle RSS).
 * - `--heap-growing-percent=20`: V8 grows the old generation by 1.2× after a
 *   full GC instead of its dynamic (up to 4×) factor, so RSS under load stays
 *   flat (50-client soak: ≈ 115–130 MiB instead of swinging 134–269 MiB).
 *   `--optimize-for-size` flattened it as well but made the tools 10–15 % slower.
 *
 * Node 20 fixes the semi-space maximum when the heap is created:
 * `v8.setFlagsFromString('--max-semi-space-size=1')` at start-up changed
 * nothing (new space still 32 MiB, idle ≈ 104 MiB), and re-executing node with
 * the flag would keep a second node process (≈ 42 MiB) alive beside the server.
 * V8 reads `--semi-space-growth-factor` each time the new space would grow, so
 * setting it to 1 before anything is loaded keeps the semi-space at its initial
 * 1 MiB: the same new space (2 MiB) and idle RSS (≈ 80.5 MiB) as the flag on the
 * command line. `--heap-growing-percent` is read whenever V8 sets a heap limit
 * and is set as it is.
 *
 * An option already given on the command line or in NODE_OPTIONS (an
 * experiment, an operator's own choice) is left alone.
 */
import { setFlagsFromString } from 'node:v8';

/** The flags, as one would write them on node's command line. */
export const NODE_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=20'] as const;
type NodeFlag = (typeof NODE_FLAGS)[number];

/** What each flag becomes when set after start, and the options on the command line that mean "leave it". */
const AT_START: Record<NodeFlag, { set: string; unlessGiven: readonly string[] }> = {
  '--max-semi-space-size=1': { set: '--semi-space-growth-factor=1', unlessGiven: ['--max-semi-space-size', '--min-semi-space-size', '--semi-space-growth-factor', '--max-heap-size'] },
  '--heap-growing-percent=20': { set: '--heap-growing-percent=20', unlessGiven: ['--heap-growing-percent'] },
};

/** `--max_semi_space_size=4` → `--max-semi-space-size` (V8 takes either spelling). */
function optionName(arg: string): string {
  return (arg.split('=')[0] ?? '').replace(/_/g, '-');
}

/**
 * Applies NODE_FLAGS that the command line does not already decide. Returns,
 * per flag, how it took effect: `"command line"`, `"set at start"` (with the
 * equivalent set), or `"left to the command line: <its option>"`.
 */
export function applyNodeFlags(
  commandLine: readonly string[] = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)],
  set: (flag: string) => void = setFlagsFromString,
): Record<NodeFlag, string> {
  const given = commandLine.filter((a) => a.startsWith('--'));
  const out = {} as Record<NodeFlag, string>;
  for (const flag of NODE_FLAGS) {
    const { set: equivalent, unlessGiven } = AT_START[flag];
    const own = given.find((a) => unlessGiven.includes(optionName(a)));
    if (own !== undefined) {
      out[flag] = own.replace(/_/g, '-') === flag ? 'command line' : `left to the command line: ${own}`;
      continue;
    }
    set(equivalent);
    out[flag] = equivalent === flag ? 'set at start' : `set at start as ${equivalent}`;
  }
  return out;
}
