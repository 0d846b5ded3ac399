/**
 * The node flags `npm start` and the `hostlens` bin run the server with
 * (package.json "start", the shebang of src/cli.ts). The bench's memory phase
 * and the soak start the server with exactly these, so their figures are the
 * product's: a 1 MiB semi-space promotes early and keeps the young generation
 * small; --optimize-for-size makes V8 grow the heap less eagerly (under the
 * 50-client soak RSS stays within ≈ 110–120 MiB instead of swinging
 * 135–270 MiB, for ≈ 20 % more server CPU).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--optimize-for-size'];
