/**
 * The provisioning library's public face: `up`, `down` and `status` (observe → plan → apply, on
 * whatever target the caller hands in) and their results; commands call exactly one of them.
 */
export { down } from './down.js';
export type { DownResult, StatusResult, UpResult } from './results.js';
export { status } from './status.js';
export { up } from './up.js';
