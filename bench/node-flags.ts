/**
 * The node flags `npm start` and the `hostlens` bin run the server with
 * (package.json "start", the shebang of src/cli.ts). The bench's memory phase
 * and the soak start the server with exactly these, so their figures are the
 * product's: a 1 MiB semi-space promotes early and keeps the young generation
 * small; --heap-growing-percent=20 makes V8 grow the old generation by 1.2×
 * after a full GC instead of its dynamic (up to 4×) factor, so RSS under load
 * stays flat (50-client soak: ≈ 115–130 MiB instead of swinging 134–269 MiB).
 * --optimize-for-size flattened it as well but made the tools 10–15 % slower.
 * BENCH_NODE_FLAGS (space-separated) replaces them for an experiment.
 */
export const SERVER_NODE_FLAGS: readonly string[] = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=1 --heap-growing-percent=20').split(' ').filter(Boolean);
