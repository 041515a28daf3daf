import { blockKitProblems, type Surface } from '../../slack/blocks/validate.js';
import type { StandInState } from './state.js';

type Args = Record<string, unknown>;
type Answer = Record<string, unknown>;

export const BOT = { userId: 'UPGMEDIC', botId: 'BPGMEDIC', team: 'Test Team', teamId: 'T0TEST' };

/** Runs the Block Kit validator and records what it finds; true when the payload is fine. */
export function validate(
  state: StandInState,
  where: string,
  payload: { text?: unknown; blocks?: unknown },
  surface: Surface = 'message',
): boolean {
  const problems = blockKitProblems(payload, surface);
  state.problems.push(...problems.map((p) => `${where}: ${p}`));
  return problems.length === 0;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The Web API methods pgmedic uses, behaving like Slack's for the cases tests care about. */
export function callMethod(state: StandInState, method: string, args: Args, uploadBase: string): Answer {
  const handler = METHODS[method];
  if (!handler) return { ok: false, error: 'unknown_method' };
  return handler(state, args, uploadBase);
}

const METHODS: Record<string, (state: StandInState, args: Args, uploadBase: string) => Answer> = {
  'auth.test': () => ({
    ok: true,
    url: 'https://test.slack.com/',
    team: BOT.team,
    team_id: BOT.teamId,
    user: 'pgmedic',
    user_id: BOT.userId,
    bot_id: BOT.botId,
  }),

  'chat.postMessage'(state, args) {
    const channel = str(args.channel) ?? '';
    if (!state.botChannels.has(channel)) return { ok: false, error: 'not_in_channel' };
    if (!validate(state, 'chat.postMessage', args)) return { ok: false, error: 'invalid_blocks' };
    const message = state.addMessage({
      channel,
      text: str(args.text),
      blocks: args.blocks as unknown[] | undefined,
      threadTs: str(args.thread_ts),
      ephemeral: false,
      via: 'chat.postMessage',
    });
    return { ok: true, channel, ts: message.ts, message: { text: message.text, ts: message.ts } };
  },

  'chat.update'(state, args) {
    const message = state.messages.find((m) => m.channel === args.channel && m.ts === args.ts && !m.ephemeral);
    if (!message) return { ok: false, error: 'message_not_found' };
    if (!validate(state, 'chat.update', args)) return { ok: false, error: 'invalid_blocks' };
    message.history.push({ text: message.text, blocks: message.blocks });
    Object.assign(message, { text: str(args.text), blocks: args.blocks as unknown[] | undefined });
    return { ok: true, channel: message.channel, ts: message.ts };
  },

  'chat.postEphemeral'(state, args) {
    const channel = str(args.channel) ?? '';
    if (!state.botChannels.has(channel)) return { ok: false, error: 'not_in_channel' };
    if (!validate(state, 'chat.postEphemeral', args)) return { ok: false, error: 'invalid_blocks' };
    const message = state.addMessage({
      channel,
      user: str(args.user),
      text: str(args.text),
      blocks: args.blocks as unknown[] | undefined,
      ephemeral: true,
      via: 'chat.postEphemeral',
    });
    return { ok: true, message_ts: message.ts };
  },

  'views.publish'(state, args) {
    const view = args.view as { blocks?: unknown } | undefined;
    if (!view || !str(args.user_id)) return { ok: false, error: 'invalid_arguments' };
    if (!validate(state, 'views.publish', { blocks: view.blocks }, 'home'))
      return { ok: false, error: 'invalid_blocks' };
    state.views.set(str(args.user_id)!, view);
    return { ok: true, view: { id: `V${state.nextId()}`, ...view } };
  },

  'files.getUploadURLExternal'(state, args, uploadBase) {
    const filename = str(args.filename);
    const length = Number(args.length);
    if (!filename || !Number.isInteger(length) || length <= 0) return { ok: false, error: 'invalid_arguments' };
    const id = `F${state.nextId()}`;
    state.files.set(id, { id, filename, length });
    return { ok: true, upload_url: `${uploadBase}${id}`, file_id: id };
  },

  'files.completeUploadExternal'(state, args) {
    const files = (args.files as { id: string; title?: string }[] | undefined) ?? [];
    const channel = str(args.channel_id);
    if (channel && !state.botChannels.has(channel)) return { ok: false, error: 'not_in_channel' };
    const stored = files.map((f) => state.files.get(f.id));
    if (!stored.length || stored.some((f) => !f?.content)) return { ok: false, error: 'file_not_found' };
    for (const file of stored)
      Object.assign(file!, {
        channel,
        threadTs: str(args.thread_ts),
        title: files.find((f) => f.id === file!.id)?.title,
      });
    return { ok: true, files: stored.map((f) => ({ id: f!.id, name: f!.filename, title: f!.title })) };
  },

  'usergroups.users.list'(state, args) {
    const users = state.usergroups.get(str(args.usergroup) ?? '');
    return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
  },

  'users.info'(state, args) {
    const user = str(args.user) ?? '';
    if (!/^[UW]/.test(user)) return { ok: false, error: 'user_not_found' };
    const guest = state.guests.has(user);
    return {
      ok: true,
      user: { id: user, name: user.toLowerCase(), is_bot: false, is_restricted: guest, is_ultra_restricted: false },
    };
  },
};
