/** What the Slack stand-in remembers: every call, message, file and view, for tests to inspect. */

export interface StoredMessage {
  id: number;
  channel: string;
  ts: string;
  threadTs?: string;
  text?: string;
  blocks?: unknown[];
  ephemeral: boolean;
  /** Recipient of an ephemeral message. */
  user?: string;
  /** `typed`: a slash command as the local workspace shows it to the one who typed it (Slack shows nothing). */
  via: 'chat.postMessage' | 'chat.postEphemeral' | 'response_url' | 'ack' | 'typed';
  deleted: boolean;
  /** Earlier versions, oldest first, when replaced or updated. */
  history: { text?: string; blocks?: unknown[] }[];
}

export interface StoredFile {
  id: string;
  filename: string;
  length: number;
  /** The upload as text (reports), and as bytes (chart images). */
  content?: string;
  bytes?: Buffer;
  title?: string;
  channel?: string;
  threadTs?: string;
}

export interface ResponseUrlState {
  id: string;
  channel: string;
  user: string;
  createdAt: number;
  uses: number;
  /** The message replace_original / delete_original act on: the command's ack, or the clicked message. */
  originalId?: number;
}

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
}

export type InjectedFailure = { error: string } | { status: 429; retryAfterSeconds: number };

/** Slack's response_url rule: at most 5 uses within 30 minutes. */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;

export function createState() {
  let nextId = 1;
  let tsCounter = 1_700_000_000_000_000;
  return {
    calls: [] as RecordedCall[],
    messages: [] as StoredMessage[],
    files: new Map<string, StoredFile>(),
    views: new Map<string, unknown>(),
    responseUrls: new Map<string, ResponseUrlState>(),
    /** Block Kit problems found in anything the app sent; tests assert this stays empty. */
    problems: [] as string[],
    failures: new Map<string, InjectedFailure[]>(),
    /** Channels the bot is a member of; chat.postMessage elsewhere answers not_in_channel. */
    botChannels: new Set<string>(),
    usergroups: new Map<string, string[]>(),
    guests: new Set<string>(),
    nextId: () => nextId++,
    nextTs: () => {
      tsCounter += 1;
      return `${Math.floor(tsCounter / 1e6)}.${String(tsCounter % 1e6).padStart(6, '0')}`;
    },
    addMessage(message: Omit<StoredMessage, 'id' | 'ts' | 'deleted' | 'history'>): StoredMessage {
      const stored: StoredMessage = { ...message, id: nextId++, ts: this.nextTs(), deleted: false, history: [] };
      this.messages.push(stored);
      return stored;
    },
  };
}

export type StandInState = ReturnType<typeof createState>;
