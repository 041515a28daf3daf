/** Work that outlives its ack (running a command, posting the report), tracked for graceful shutdown. */
export interface Jobs {
  start(work: Promise<unknown>): void;
  readonly running: number;
  /** Resolves when every job has finished, or after `timeoutMs`, whichever is first; true when all finished. */
  idle(timeoutMs: number): Promise<boolean>;
}

export function createJobs(onError: (error: unknown) => void): Jobs {
  const pending = new Set<Promise<unknown>>();
  return {
    start(work) {
      const tracked = work.catch(onError).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    get running() {
      return pending.size;
    },
    async idle(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const done = Promise.all([...pending]).then(() => true as const);
      const finished = await Promise.race([done, timeout]);
      clearTimeout(timer);
      return finished;
    },
  };
}
