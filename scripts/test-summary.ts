/**
 * Prints one closing line for the whole suite, vitest and busted together:
 * "tests: N passed, N failed, N skipped". Reads the reports that `npm test`
 * writes to test-artifacts/.
 */
import { readFileSync } from 'node:fs';

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const vitest = JSON.parse(readFileSync('test-artifacts/vitest.json', 'utf8')) as VitestReport;
const busted = /(\d+) successes? \/ (\d+) failures? \/ (\d+) errors? \/ (\d+) pending/.exec(readFileSync('test-artifacts/busted.txt', 'utf8'));
if (!busted) {
  process.stderr.write('test-artifacts/busted.txt holds no busted summary\n');
  process.exit(1);
}
const [, luaPassed = '0', luaFailed = '0', luaErrors = '0', luaPending = '0'] = busted;

const passed = vitest.numPassedTests + Number(luaPassed);
const failed = vitest.numFailedTests + Number(luaFailed) + Number(luaErrors);
const skipped = vitest.numPendingTests + vitest.numTodoTests + Number(luaPending);
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed === 0 ? 0 : 1);
