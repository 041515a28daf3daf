import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may use the local workspace. The page signs requests as whichever workspace user is chosen (the approver included), so it
 * is guarded like a login: a per-run secret (printed once, in the address) becomes an HttpOnly SameSite=Strict
 * cookie; requests naming another Host are refused (DNS rebinding), and POSTs must be JSON from our own Origin
 * (a cross-site form or `text/plain` post cannot carry one).
 */
export interface Gate {
  /** The secret for the printed address (`?token=`). */
  token: string;
  cookieName: string;
  /** Undefined when the request may go on; otherwise the status and reason of the refusal. */
  refuseHost(req: IncomingMessage): Refusal | undefined;
  refuseOrigin(req: IncomingMessage): Refusal | undefined;
  /** The page and its API: the cookie (or, on first load, `?token=`) must carry the secret. */
  signedIn(req: IncomingMessage): boolean;
  refusePost(req: IncomingMessage): Refusal | undefined;
  setCookie(): string;
}

export interface Refusal {
  status: number;
  reason: string;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** 32 random bytes: far beyond guessing (the brief asks for at least 128 bits). */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** Constant-time comparison of two secrets of any length. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** `publicHost`: a name (no port) people use to reach the workspace besides the loopback names. */
export function createGate(options: { port: number; publicHost?: string | undefined; token?: string }): Gate {
  const token = options.token ?? newSecret();
  // Cookies ignore ports: a name per port keeps two local runs from overwriting each other's cookie.
  const cookieName = `pgmedic_workspace_${options.port}`;
  const names = new Set([...LOOPBACK_NAMES, ...(options.publicHost ? [options.publicHost.toLowerCase()] : [])]);
  const hostAllowed = (host: string | undefined) => host !== undefined && names.has(hostName(host));
  return {
    token,
    cookieName,
    refuseHost: (req) =>
      hostAllowed(req.headers.host)
        ? undefined
        : { status: 421, reason: `this workspace answers only to ${[...names].join(', ')}` },
    refuseOrigin(req) {
      const origin = req.headers.origin;
      if (origin === undefined || origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`)
        return undefined;
      return { status: 403, reason: 'requests from other sites are refused' };
    },
    signedIn: (req) => sameSecret(cookieValue(req.headers.cookie, cookieName), token),
    refusePost(req) {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') return { status: 415, reason: 'send application/json' };
      if (!req.headers.origin) return { status: 403, reason: 'an Origin header is required' };
      return this.refuseOrigin(req);
    },
    setCookie: () => `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
  };
}

/** The name part of a Host header, lowercased: `[::1]:3000` → `[::1]`, `Localhost:80` → `localhost`. */
export function hostName(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
