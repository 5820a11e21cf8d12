import { expect } from 'vitest';
import type { NotApplicableCheck } from '../scenarios.ts';
import type { Check, ScenarioRun } from './conformance-cli.ts';

/**
 * Every check must be SUCCESS, except the recorded not-applicable ones, which
 * must still be reported exactly as recorded (status and message). Skips and
 * warnings fail unless recorded; notes (INFO) never count as passes.
 */
export function expectConformant(run: ScenarioRun, notApplicable: NotApplicableCheck[]): void {
  const summary = run.checks.map((check) => `${check.status} ${check.id}${check.errorMessage ? `: ${check.errorMessage}` : ''}`).join('\n') || run.output;
  expect(run.checks.length, summary).toBeGreaterThan(0);
  const excused = (check: Check) =>
    notApplicable.some((rule) => rule.id === check.id && rule.status === check.status && (rule.message === undefined || rule.message.test(check.errorMessage ?? '')));
  // INFO entries are the suite's notes (traffic it saw, choices it observed): neither a pass nor a failure.
  const counted = run.checks.filter((check) => check.status !== 'INFO' && !excused(check));
  for (const check of counted) expect(check.status, `${check.id}: ${check.errorMessage ?? ''}\n\n${summary}`).toBe('SUCCESS');
  for (const rule of notApplicable) expect(run.checks.some((check) => check.id === rule.id), `${rule.id} no longer reported\n\n${summary}`).toBe(true);
  expect(counted.length, summary).toBeGreaterThan(0);
}
