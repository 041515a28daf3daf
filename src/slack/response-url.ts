import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RespondArguments } from '@slack/bolt';

/** Idle kept-alive connections close after this long (undici's default); a post may take up to REPLY_TIMEOUT_MS. */
const IDLE_MS = 4_000;
const REPLY_TIMEOUT_MS = 30_000;
const agents = {
  'http:': new HttpAgent({ keepAlive: true, timeout: IDLE_MS }),
  'https:': new HttpsAgent({ keepAlive: true, timeout: IDLE_MS }),
};

/**
 * Posts a message to a slash command's response_url, as Bolt's respond() does (JSON; an error unless Slack
 * answers 2xx), over node:http(s) with kept-alive connections instead of fetch. fetch cost the bot about 0.3 ms of
 * CPU per answer, and a command's answer often goes out while other people's acks wait for the event loop
 * (bench/ACK-RESULTS.md). The URL comes from the signed request, as it does for respond().
 */
export function postToResponseUrl(responseUrl: string, message: RespondArguments): Promise<void> {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return Promise.reject(new Error('Failed to respond to the response_url: it is not a URL'));
  }
  const protocol = url.protocol;
  if (protocol !== 'https:' && protocol !== 'http:')
    return Promise.reject(new Error(`Failed to respond to the response_url: ${protocol} is not http(s)`));
  const body = JSON.stringify(message);
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  const send = protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers, agent: agents[protocol] }, (res: IncomingMessage) => {
      res.resume();
      res.once('error', reject);
      res.once('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`Failed to respond to the response_url: ${status} ${res.statusMessage ?? ''}`.trim()));
      });
    });
    req.setTimeout(REPLY_TIMEOUT_MS, () =>
      req.destroy(new Error(`Failed to respond to the response_url: no answer within ${REPLY_TIMEOUT_MS / 1000} s`)),
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** What answers one slash command or button click: its response_url. A click without one (a Home tab button) fails. */
export type Responder = (message: RespondArguments) => Promise<void>;

export function responderFor(responseUrl: string | undefined): Responder {
  return (message) =>
    responseUrl
      ? postToResponseUrl(responseUrl, message)
      : Promise.reject(new Error('Failed to respond: this click came without a response_url'));
}
