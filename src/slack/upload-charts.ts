import type { WebClient } from '@slack/web-api';
import { altText } from '../charts/alt-text.js';
import type { ChartFile } from '../charts/charts.js';

/** Chart PNGs in one files.uploadV2 call (Slack shares them as one message), in a thread or in the channel. */
export async function uploadCharts(
  client: WebClient,
  channelId: string,
  files: readonly ChartFile[],
  where: { threadTs?: string; comment?: string } = {},
): Promise<void> {
  if (!files.length) return;
  await client.filesUploadV2({
    channel_id: channelId,
    ...(where.threadTs ? { thread_ts: where.threadTs } : {}),
    ...(where.comment ? { initial_comment: where.comment } : {}),
    file_uploads: files.map((f) => ({ file: f.png, filename: f.filename, title: f.title, alt_text: altText(f.data) })),
  });
}
