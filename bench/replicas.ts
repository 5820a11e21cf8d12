import type { BenchOptions } from './options.ts';

export async function runReplicas(_options: BenchOptions): Promise<string> {
  throw new Error('not yet');
}
