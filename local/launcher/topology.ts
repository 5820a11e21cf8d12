/**
 * Older import path of the local profile's topology, which now lives in
 * ../topology/ (shared by the launcher and the gateway). New code imports
 * from '../topology/index.ts'.
 */
export { describeTopology, REPO_ROOT, settingsSchema as launcherSchema, type Endpoints } from '../topology/index.ts';
