import { randomBytes } from 'node:crypto';
import { runCommand } from '../engine/run.js';
import { DEFAULT_QUERY_TEXT_MODE } from '../redact/query-text.js';
import { applyQueryText, redactQueryFields } from '../report/query-text.js';
import { parseOptions, validateOptions } from '../engine/options.js';
import { appendAudit } from '../state/audit.js';
import { insertRequest } from '../state/requests.js';
import { findAction } from './actions.js';
import { refuse } from './refusals.js';
import { databaseIdentity } from './target-identity.js';
import type { HealingDeps, HealingResult } from './types.js';

export interface ActionRequestInput {
  /** An action command name: terminate, cancel, vacuum-table, analyze, reindex, drop-index. */
  action: string;
  /** Target name; undefined means the default target. */
  target?: string;
  /** From a report's suggested action (option names → values), e.g. { pid, backendStart }. */
  params?: Record<string, string>;
  /** As typed after the action name, e.g. ['4242'] for `/pg terminate 4242`. */
  tokens?: readonly string[];
  /** Slack user id of the requester. */
  requestedBy: string;
  channel?: string | null;
}

export const newRequestId = (): string => randomBytes(16).toString('base64url');

/**
 * Previews the action read-only, pins exactly what it will touch, and stores a pending approval request
 * with the statement approvers will see. Refused (and audited) when healing is off for the target or
 * the preview finds nothing safe to act on.
 */
export async function requestAction(deps: HealingDeps, input: ActionRequestInput): Promise<HealingResult> {
  const { command, spec } = findAction(deps, input.action);
  const target = deps.targets.get(input.target);
  const attempt = {
    request: null,
    actor: input.requestedBy,
    channel: input.channel ?? null,
    target: target.name,
    action: command.name,
  };
  if (!deps.policy.enabledFor(target.name))
    return refuse(deps, attempt, { reason: 'healing_off', detail: target.name });

  const options = input.tokens ? parseOptions(command, input.tokens) : validateOptions(command, input.params ?? {});
  const preview = await runCommand({ command, target, options, ...(deps.now ? { now: deps.now } : {}) });
  const pinned = spec.pin(preview.findings, options);
  if ('refusal' in pinned) return refuse(deps, attempt, { reason: 'preview_refused', detail: pinned.refusal });

  const statement = spec.statement(pinned.params);
  const request = await insertRequest(
    deps.statePool,
    {
      id: (deps.newId ?? newRequestId)(),
      action: command.name,
      target: target.name,
      params: pinned.params,
      statement: statement.text,
      statementValues: statement.values,
      // Stored as shown: query text redacted by the target's setting (src/report/query-text.ts).
      details: {
        report: applyQueryText(preview.report),
        findings: redactQueryFields(preview.findings, preview.report.queryText ?? DEFAULT_QUERY_TEXT_MODE),
        serverVersion: preview.meta.serverVersion,
        previewAt: preview.meta.ranAt,
        // Compared before approving and running (src/heal/target-identity.ts).
        database: databaseIdentity(target.config),
      },
      requestedBy: input.requestedBy,
      channel: input.channel ?? null,
      messageTs: null,
      approvalsRequired: deps.policy.approvalsRequired(command.name, target.name),
      expiryMinutes: deps.policy.expiryMinutes,
    },
    deps.now?.() ?? null,
  );
  await appendAudit(deps.statePool, {
    event: 'requested',
    requestId: request.id,
    actor: input.requestedBy,
    channel: request.channel,
    target: request.target,
    action: request.action,
    statement: request.statement,
    details: {
      params: request.params,
      values: request.statementValues,
      approvalsRequired: request.approvalsRequired,
      expiresAt: request.expiresAt,
    },
  });
  return { request, cardChanged: true, notice: { kind: 'requested', text: `Approval requested: ${preview.summary}` } };
}
