/**
 * Whether this machine can run containers. testcontainers answers for every
 * runtime it supports (Docker, Podman, Colima, a remote DOCKER_HOST...); it is
 * loaded only here, so a machine without it can still skip cleanly.
 */

export const SKIP_MESSAGE = 'no container runtime: Docker profile tests skipped';

export type RuntimeStatus = { available: true } | { available: false; reason: string };

export async function detectContainerRuntime(): Promise<RuntimeStatus> {
  let testcontainers: typeof import('testcontainers');
  try {
    testcontainers = await import('testcontainers');
  } catch {
    return { available: false, reason: 'the testcontainers package is not installed (run npm install)' };
  }
  try {
    await testcontainers.getContainerRuntimeClient();
    return { available: true };
  } catch (error) {
    return { available: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
