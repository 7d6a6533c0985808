/** What main needs of state.dir: the checkpoint store, the lock, and the status report. */
export { FileCheckpointStore } from './store.js';
export { acquireStateLock, readHostIdentity } from './lock.js';
export { readStatus, formatStatus, statusExitCode } from './status.js';
export { readGaps } from './ledger.js';
