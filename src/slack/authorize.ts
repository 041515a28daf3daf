import type { TargetConfig } from '../config/schema.js';

export interface Requester {
  userId: string;
  channelId: string;
  channelName?: string;
}

/** What authorization needs to know from Slack; cached by slackDirectory. */
export interface Directory {
  usergroupMembers(groupId: string): Promise<string[]>;
  /** Multi- and single-channel guests (is_restricted / is_ultra_restricted). */
  isGuest(userId: string): Promise<boolean>;
}

export type Decision =
  | { allowed: true }
  | { allowed: false; rule: 'channel' | 'user' | 'guest' | 'lookup_failed'; reason: string };

/**
 * Per target: which channels may query it (unset: all) and which users or user groups (unset: anyone in an
 * allowed channel). Guests are refused unless a target lists them by ID. Any failed lookup refuses (fail closed).
 */
export function createAuthorizer(directory: Directory) {
  /** The person alone, wherever they ask from (the App Home tab lists what they may query somewhere). */
  async function checkUser(target: TargetConfig, userId: string): Promise<Decision> {
    try {
      const listed = target.users?.includes(userId) ?? false;
      if (!listed && (await directory.isGuest(userId))) {
        return {
          allowed: false,
          rule: 'guest',
          reason: `Guest accounts may not query \`${target.name}\` unless its \`users\` list names them.`,
        };
      }
      if (target.users && !listed && !(await inAnyGroup(directory, target.users, userId))) {
        return {
          allowed: false,
          rule: 'user',
          reason: `You are not on the list of people who may query \`${target.name}\`. Ask an admin to add you or your user group to its \`users\` list.`,
        };
      }
    } catch {
      return {
        allowed: false,
        rule: 'lookup_failed',
        reason: `Could not check your access to \`${target.name}\` with Slack just now, so the command did not run. Try again in a moment.`,
      };
    }
    return { allowed: true };
  }
  return {
    checkUser,
    async check(target: TargetConfig, requester: Requester): Promise<Decision> {
      if (!channelAllowed(target, requester)) {
        return {
          allowed: false,
          rule: 'channel',
          reason: `Target \`${target.name}\` cannot be queried from this channel. Ask an admin to add this channel to its \`channels\` list, or use a channel that is on it.`,
        };
      }
      return checkUser(target, requester.userId);
    },
  };
}

export type Authorizer = ReturnType<typeof createAuthorizer>;

function channelAllowed(target: TargetConfig, requester: Requester): boolean {
  if (!target.channels) return true;
  return (
    target.channels.includes(requester.channelId) ||
    (requester.channelName !== undefined && target.channels.includes(`#${requester.channelName}`))
  );
}

async function inAnyGroup(directory: Directory, entries: string[], userId: string): Promise<boolean> {
  for (const group of entries.filter((entry) => entry.startsWith('S'))) {
    if ((await directory.usergroupMembers(group)).includes(userId)) return true;
  }
  return false;
}

/** The channel's own target: the one target whose `channels` list names it, if exactly one does. */
export function channelTarget(
  targets: readonly TargetConfig[],
  requester: Pick<Requester, 'channelId' | 'channelName'>,
): string | undefined {
  const named = targets.filter(
    (t) =>
      t.channels?.includes(requester.channelId) ||
      (requester.channelName !== undefined && t.channels?.includes(`#${requester.channelName}`)),
  );
  return named.length === 1 ? named[0]!.name : undefined;
}
