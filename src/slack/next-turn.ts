/**
 * Work that can wait a little (a command's run after its ack, the rendering and posting of its answer) waits
 * here for a turn of the event loop, one waiter per turn. Between two turns Node reads the sockets, so a slash
 * command that arrived meanwhile is acked before the next piece of this work, instead of after all of it: 20
 * commands that time out together would otherwise render and post 20 answers while the next ones wait for their
 * acks (bench/ACK-RESULTS.md). Every waiter is let through, in order; none is dropped.
 */
const waiting: (() => void)[] = [];

/** Resolves on a later turn of the event loop, after the sockets were read, one caller per turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (waiting.length === 1) setImmediate(letOneThrough);
  });
}

function letOneThrough(): void {
  // The waiter's work up to its next await runs right after this callback, before the next turn's I/O.
  waiting.shift()?.();
  if (waiting.length) setImmediate(letOneThrough);
}
