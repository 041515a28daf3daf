import type { WebClient } from '@slack/web-api';
import type { Directory } from './authorize.js';

/** Slack lookups for authorization, cached so a burst of commands costs one call per user or group. */
export function slackDirectory(client: WebClient, options: { cacheMs?: number; now?: () => number } = {}): Directory {
  const cacheMs = options.cacheMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const cached = <T>(load: (key: string) => Promise<T>) => {
    const entries = new Map<string, { at: number; value: Promise<T> }>();
    return (key: string): Promise<T> => {
      const hit = entries.get(key);
      if (hit && now() - hit.at < cacheMs) return hit.value;
      const value = load(key);
      entries.set(key, { at: now(), value });
      // A failed lookup is not remembered: the next command asks again.
      value.catch(() => entries.delete(key));
      return value;
    };
  };
  return {
    usergroupMembers: cached(async (usergroup) => (await client.usergroups.users.list({ usergroup })).users ?? []),
    isGuest: cached(async (user) => {
      const info = await client.users.info({ user });
      return Boolean(info.user?.is_restricted || info.user?.is_ultra_restricted);
    }),
  };
}
