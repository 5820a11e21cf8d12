/**
 * Which server scenarios of the official suite apply to this MCP server, and
 * why the others do not. The server is tools-only (two read-only tools), so
 * every scenario built on the suite's own fixture tools, prompts, resources
 * or server-to-client requests has nothing to exercise here: running it
 * would only produce a "tool not found" (or, worse, a vacuous pass).
 */

export const REVISIONS = ['2026-07-28', '2025-11-25'] as const;
export type Revision = (typeof REVISIONS)[number];

/** A check the suite reports inside an applicable scenario that cannot apply here, with the reason. */
export interface NotApplicableCheck {
  id: string;
  /** What the suite reports for it (its "Not testable" failures, skips and notes). */
  status: 'FAILURE' | 'SKIPPED' | 'INFO' | 'WARNING';
  /** Text the suite's message must contain, so a real failure is never waved through under this entry. */
  message?: RegExp;
  reason: string;
}

export interface ApplicableScenario {
  scenario: string;
  revision: Revision;
  notApplicable: NotApplicableCheck[];
}

const FIXTURE_TOOL = /Not testable: server does not list the diagnostic tool/;

export const APPLICABLE: ApplicableScenario[] = [
  {
    scenario: 'server-stateless',
    revision: '2026-07-28',
    notApplicable: [
      { id: 'sep-2575-server-rejects-undeclared-capability', status: 'FAILURE', message: FIXTURE_TOOL, reason: "needs the suite's diagnostic tool test_missing_capability" },
      { id: 'sep-2575-missing-capability-http-400', status: 'FAILURE', message: FIXTURE_TOOL, reason: "needs the suite's diagnostic tool test_missing_capability" },
      { id: 'sep-2575-http-server-no-independent-requests-on-stream', status: 'FAILURE', message: FIXTURE_TOOL, reason: "needs the suite's diagnostic tool test_streaming_elicitation; this server sends no server-to-client requests" },
      { id: 'sep-2575-server-no-log-without-loglevel', status: 'FAILURE', message: FIXTURE_TOOL, reason: "needs the suite's diagnostic tool test_logging_tool; this server sends no log notifications" },
      { id: 'sep-2575-server-sends-prompts-list-changed-on-subscription', status: 'SKIPPED', reason: 'no prompts' },
      { id: 'sep-2575-server-sends-tools-list-changed-on-subscription', status: 'SKIPPED', reason: 'the tool list is fixed (listChanged: false)' },
    ],
  },
  { scenario: 'tools-list', revision: '2026-07-28', notApplicable: [] },
  { scenario: 'http-header-validation', revision: '2026-07-28', notApplicable: [] },
  { scenario: 'dns-rebinding-protection', revision: '2026-07-28', notApplicable: [] },
  {
    scenario: 'caching',
    revision: '2026-07-28',
    notApplicable: [
      { id: 'sep-2549-prompts-list-caching-hints', status: 'FAILURE', message: /Method not found/, reason: 'no prompts: prompts/list is answered -32601 as the specification requires for an undeclared capability' },
      { id: 'sep-2549-resources-list-caching-hints', status: 'FAILURE', message: /Method not found/, reason: 'no resources' },
      { id: 'sep-2549-resources-templates-list-caching-hints', status: 'FAILURE', message: /Method not found/, reason: 'no resource templates' },
      { id: 'sep-2549-resources-read-caching-hints', status: 'SKIPPED', reason: 'no resources' },
    ],
  },
  {
    scenario: 'server-initialize',
    revision: '2025-11-25',
    notApplicable: [{ id: 'server-session-id-visible-ascii', status: 'INFO', reason: 'stateless: no session id is issued' }],
  },
  { scenario: 'ping', revision: '2025-11-25', notApplicable: [] },
  { scenario: 'tools-list', revision: '2025-11-25', notApplicable: [] },
  { scenario: 'dns-rebinding-protection', revision: '2025-11-25', notApplicable: [] },
];

/** Server scenarios of the pinned suite that are not run, and why. */
export const NOT_APPLICABLE_SCENARIOS: Record<string, string> = {
  'server-session-lifecycle': 'stateless server: no session to create or end (the suite itself only reports it skipped, a vacuous pass)',
  'logging-set-level': 'no logging capability; logging/setLevel is answered -32601 (deprecated in 2026-07-28)',
  'completion-complete': 'no prompts or resource templates to complete',
  'tools-call-simple-text': "calls the suite's fixture tool test_simple_text; a tool-not-found answer would be a vacuous result",
  'tools-call-image': 'fixture tool; this server returns text and structured content only',
  'tools-call-audio': 'fixture tool; this server returns text and structured content only',
  'tools-call-embedded-resource': 'fixture tool; no resources',
  'tools-call-mixed-content': 'fixture tool',
  'tools-call-error': "calls the fixture tool test_error_handling: against this server it only gets 'Tool not found', so any pass would be vacuous (tool failures here are covered by utility-mcp-server's own tests: isError results with a reason)",
  'tools-call-with-progress': 'fixture tool; the tools answer once, without progress',
  'tools-call-with-logging': 'fixture tool; no logging',
  'tools-call-sampling': 'no server-to-client requests',
  'tools-call-elicitation': 'no server-to-client requests',
  'json-schema-2020-12': "fixture tool json_schema_2020_12_tool (this server's schemas are checked by tools-list's wire-schema check)",
  'elicitation-sep1034-defaults': 'no elicitation',
  'elicitation-sep1330-enums': 'no elicitation',
  'server-sse-polling': 'plain JSON responses, no resumable streams',
  'server-sse-multiple-streams': 'no server-initiated streams: GET answers 405 (stateless server)',
  'resources-list': 'no resources',
  'resources-read-text': 'no resources',
  'resources-read-binary': 'no resources',
  'resources-templates-read': 'no resources',
  'resources-subscribe': 'no resources',
  'resources-unsubscribe': 'no resources',
  'sep-2164-resource-not-found': 'no resources',
  'prompts-list': 'no prompts',
  'prompts-get-simple': 'no prompts',
  'prompts-get-with-args': 'no prompts',
  'prompts-get-embedded-resource': 'no prompts',
  'prompts-get-with-image': 'no prompts',
  'http-custom-header-server-validation': 'no tool declares x-mcp-header parameters',
  'input-required-result-*': "all fourteen build on the suite's fixture tools that return input_required; this server's tools never ask the client for input",
  'tasks-*': 'extension (optional); not implemented',
  'sep-2640-skills-*': 'extension (optional); not implemented',
};
