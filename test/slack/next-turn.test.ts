import { createServer, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextTurn } from '../../src/slack/next-turn.js';

// Deferred work (a command's run, its answer) goes one piece per turn of the event loop, so a request that
// arrives meanwhile is read before the next piece rather than after all of them.
let server: ReturnType<typeof createServer>;
let client: Socket;
let received: () => void = () => undefined;

beforeAll(async () => {
  server = createServer((socket) => socket.on('data', () => received()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
});
afterAll(async () => {
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('nextTurn', () => {
  it('lets every waiter through in order, one per turn, and reads a socket between two turns', async () => {
    const order: string[] = [];
    received = () => order.push('request');
    const waiters = ['A', 'B', 'C', 'D', 'E'].map((name) =>
      nextTurn().then(() => {
        order.push(name);
        // A request arrives while B…E still wait: it must be read before B, not after E.
        if (name === 'A') client.write('POST /slack/events');
      }),
    );
    await Promise.all(waiters);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual(['A', 'request', 'B', 'C', 'D', 'E']);
  });

  it('keeps working after the queue ran dry', async () => {
    const order: number[] = [];
    await nextTurn().then(() => order.push(1));
    await Promise.all([nextTurn().then(() => order.push(2)), nextTurn().then(() => order.push(3))]);
    expect(order).toEqual([1, 2, 3]);
  });
});
