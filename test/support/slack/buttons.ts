/** A button as a message's Block Kit JSON has it (what a test clicks). */
export interface ButtonJson {
  action_id: string;
  value: string;
  text: { text: string };
  confirm?: { text: { text: string } };
}

/** Every button of the message's actions blocks, in order. */
export const buttonsOf = (blocks: unknown[] | undefined): ButtonJson[] =>
  (blocks ?? []).flatMap((b) =>
    (b as { type: string }).type === 'actions' ? ((b as { elements: ButtonJson[] }).elements ?? []) : [],
  );

interface Posted {
  via: string;
  blocks?: unknown[];
}

/**
 * The stand-in's chat.postMessage messages, and a finder for the first one after `count` whose blocks name `match`.
 * The stand-in is asked for when called (tests start it in beforeAll).
 */
export function postsOf<M extends Posted>(standIn: () => { state: { messages: M[] } }) {
  const posts = () => standIn().state.messages.filter((m) => m.via === 'chat.postMessage');
  const newPost = (count: number, match: string) => () =>
    posts()
      .slice(count)
      .find((m) => JSON.stringify(m.blocks).includes(match));
  return { posts, newPost };
}
