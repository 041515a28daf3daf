import { createHmac, randomUUID } from 'node:crypto';
import type { SlackStandIn } from './standin.js';

/** Slack's request signature: v0=HMAC_SHA256(secret, "v0:" + timestamp + ":" + raw body). */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SlashCommandInput {
  text: string;
  channel?: string;
  channelName?: string;
  user?: string;
  triggerId?: string;
  /** Sent as x-slack-retry-num, the way Slack marks a redelivery. */
  retryNum?: number;
  /** Seconds since the epoch to sign with (stale-timestamp tests). */
  timestamp?: number;
  /** Signs with another secret (bad-signature tests). */
  secret?: string;
}

export interface AckReply {
  status: number;
  ack: { text?: string; blocks?: unknown[]; response_type?: string } | undefined;
  responseUrl: string;
  triggerId: string;
}

/** The headers Slack signs a request with (and marks a redelivery with). */
export function signedHeaders(
  secret: string,
  body: string,
  contentType: string,
  options: { timestamp?: number; retryNum?: number } = {},
): Record<string, string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signBody(secret, timestamp, body),
    ...(options.retryNum !== undefined
      ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' }
      : {}),
  };
}

/** The form-encoded body of a slash command, as Slack posts it. */
export function slashCommandForm(input: SlashCommandInput, responseUrl: string, triggerId: string): string {
  const user = input.user ?? 'UALICE';
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0TEST',
    team_domain: 'test',
    channel_id: input.channel ?? 'CINCIDENT',
    channel_name: input.channelName ?? 'incident',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/pg',
    text: input.text,
    api_app_id: 'A0PGMEDIC',
    response_url: responseUrl,
    trigger_id: triggerId,
  }).toString();
}

/** Sends what Slack sends: signed form-encoded slash commands, signed JSON events, signed clicks. */
export function slackSender(
  appUrl: string,
  secret: string,
  standIn: Pick<SlackStandIn, 'newResponseUrl' | 'recordAck'>,
) {
  const post = async (
    body: string,
    contentType: string,
    options: { timestamp?: number; secret?: string; retryNum?: number },
  ) => {
    const response = await fetch(`${appUrl}/slack/events`, {
      method: 'POST',
      headers: signedHeaders(options.secret ?? secret, body, contentType, options),
      body,
    });
    const text = await response.text();
    return { status: response.status, text };
  };

  return {
    async command(input: SlashCommandInput): Promise<AckReply> {
      const [channel, user] = [input.channel ?? 'CINCIDENT', input.user ?? 'UALICE'];
      const triggerId = input.triggerId ?? `trigger-${randomUUID()}`;
      const responseUrl = standIn.newResponseUrl(channel, user);
      const form = slashCommandForm(input, responseUrl, triggerId);
      const { status, text } = await post(form, 'application/x-www-form-urlencoded', input);
      const ack = text ? (JSON.parse(text) as AckReply['ack']) : undefined;
      if (status === 200 && ack) standIn.recordAck(responseUrl, ack);
      return { status, ack, responseUrl, triggerId };
    },

    async event(event: Record<string, unknown>, options: { eventId?: string; retryNum?: number } = {}) {
      const body = JSON.stringify({
        token: 'x',
        team_id: 'T0TEST',
        api_app_id: 'A0PGMEDIC',
        type: 'event_callback',
        event_id: options.eventId ?? `Ev${randomUUID()}`,
        event_time: Math.floor(Date.now() / 1000),
        event,
      });
      return post(body, 'application/json', options);
    },

    /** `responseUrl`: one made by the caller (the local workspace binds it to the clicked message). */
    /** `ephemeral`: the clicked message is a private (ephemeral) one, as Slack marks it in the container. */
    async click(
      actionId: string,
      value: string,
      options: {
        channel?: string;
        user?: string;
        messageTs?: string;
        triggerId?: string;
        responseUrl?: string;
        ephemeral?: boolean;
      } = {},
    ) {
      const channel = options.channel ?? 'CINCIDENT';
      const user = options.user ?? 'UALICE';
      const responseUrl = options.responseUrl ?? standIn.newResponseUrl(channel, user);
      const payload = {
        type: 'block_actions',
        user: { id: user, username: user.toLowerCase(), team_id: 'T0TEST' },
        api_app_id: 'A0PGMEDIC',
        team: { id: 'T0TEST', domain: 'test' },
        channel: { id: channel, name: 'incident' },
        container: {
          type: 'message',
          message_ts: options.messageTs ?? '1700000000.000100',
          channel_id: channel,
          is_ephemeral: options.ephemeral ?? false,
        },
        trigger_id: options.triggerId ?? `trigger-${randomUUID()}`,
        response_url: responseUrl,
        actions: [
          {
            type: 'button',
            action_id: actionId,
            block_id: 'b1',
            value,
            text: { type: 'plain_text', text: 'x' },
            action_ts: '1700000001.000200',
          },
        ],
      };
      const result = await post(
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        'application/x-www-form-urlencoded',
        {},
      );
      return { ...result, responseUrl };
    },

    raw: post,
  };
}
