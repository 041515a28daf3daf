import type { HealingFileConfig, TargetConfig } from '../config/schema.js';

/** Defaults for the approval policy, in one commented place. */
export const HEALING_DEFAULTS = {
  /** A second person must look: the requester cannot approve their own request. */
  allowSelfApproval: false,
  /** Distinct approvers needed; per action and per target can only raise it. */
  approvalsRequired: 1,
  /** A request older than this cannot be approved: the database has moved on. */
  expiryMinutes: 10,
  /** Healing is on where approvers exist; `healing.enabled: false` turns it off globally or per target. */
  enabled: true,
} as const;

/** Looks up the members (user ids) of a Slack user group at click time. */
export type ResolveGroup = (groupId: string) => Promise<string[]>;

export interface HealingPolicy {
  /** Slack user ids (U…/W…) and user group ids (S…). */
  approvers: readonly string[];
  allowSelfApproval: boolean;
  expiryMinutes: number;
  approvalsRequired(action: string, target: string): number;
  enabledFor(target: string): boolean;
}

export interface PolicyInput {
  /** From PGMEDIC_APPROVERS. */
  approvers?: readonly string[];
  /** The YAML `healing:` section. */
  healing?: HealingFileConfig;
  /**
   * The targets and their own `healing:` settings, or a function giving the live list (a reload or a discovery
   * changes it): asked at each request and each click, so a target added since the start can heal and a removed
   * one cannot.
   */
  targets?: readonly PolicyTarget[] | (() => readonly PolicyTarget[]);
}

type PolicyTarget = Pick<TargetConfig, 'name' | 'healing'>;

export function createPolicy(input: PolicyInput): HealingPolicy {
  const file = input.healing ?? {};
  const listed = input.targets ?? [];
  const find = (target: string) => (typeof listed === 'function' ? listed() : listed).find((t) => t.name === target);
  const approvers = [...new Set([...(input.approvers ?? []), ...(file.approvers ?? [])])];
  const globalOn = file.enabled ?? HEALING_DEFAULTS.enabled;
  return {
    approvers,
    allowSelfApproval: file.allowSelfApproval ?? HEALING_DEFAULTS.allowSelfApproval,
    expiryMinutes: file.expiryMinutes ?? HEALING_DEFAULTS.expiryMinutes,
    // The strictest setting wins: a per-action or per-target count never lowers the global one.
    approvalsRequired: (action, target) =>
      Math.max(
        file.approvalsRequired ?? HEALING_DEFAULTS.approvalsRequired,
        file.actions?.[action]?.approvalsRequired ?? 1,
        find(target)?.healing?.approvalsRequired ?? 1,
      ),
    // Unknown targets are off: fail closed.
    enabledFor: (target) => {
      const known = globalOn && approvers.length > 0 ? find(target) : undefined;
      return known !== undefined && known.healing?.enabled !== false;
    },
  };
}

export type ApproverCheck = { ok: true; via: string } | { ok: false; detail: string };

/**
 * Is this user an approver right now? Groups are resolved at click time; a group lookup that fails
 * counts as "not a member" (fail closed) and the failure is reported in `detail`.
 */
export async function checkApprover(
  policy: HealingPolicy,
  userId: string,
  resolveGroup: ResolveGroup,
): Promise<ApproverCheck> {
  if (policy.approvers.includes(userId)) return { ok: true, via: userId };
  const failures: string[] = [];
  for (const groupId of policy.approvers.filter((id) => id.startsWith('S'))) {
    try {
      if ((await resolveGroup(groupId)).includes(userId)) return { ok: true, via: groupId };
    } catch (error) {
      failures.push(`${groupId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const detail = policy.approvers.length ? `not in ${policy.approvers.join(', ')}` : 'no approvers are configured';
  return { ok: false, detail: failures.length ? `${detail} (group lookup failed: ${failures.join('; ')})` : detail };
}
