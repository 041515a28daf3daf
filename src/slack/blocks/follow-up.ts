import { targetNameSchema } from '../../config/schema.js';
import { asQueryId } from '../../engine/units.js';
import type { FollowUp } from '../../report/model.js';
import { escapePlain } from './escape.js';
import type { Button } from './kit.js';
import { buttonElement } from './limits.js';

/** Prefix of every follow-up button's action_id (`pgmedic_followup:explain:<n>`); the follow-up listener owns it. */
export const FOLLOW_UP_PREFIX = 'pgmedic_followup:';

/**
 * The button carries the target name and the queryid in plain sight ("prod:-123456789"), and no state
 * database is involved, unlike a healing offer (src/heal/offers.ts). Offers hide a pid and its start time
 * behind an id that expires because acting on them changes the server; explain changes nothing, and both
 * halves are what anyone allowed to type `/pg explain <queryid> <target>` could type. So a forged value
 * gains nothing: the click is parsed as strictly as typed input and authorized by the same rule as typing.
 * It also keeps the button working when the bot runs without a state database.
 */
export function followUpValue(target: string, followUp: FollowUp): string {
  return `${target}:${followUp.args.join(' ')}`;
}

export function followUpButton(target: string, followUp: FollowUp, index: number): Button {
  return buttonElement({
    text: escapePlain(followUp.label),
    actionId: `${FOLLOW_UP_PREFIX}${followUp.command}:${index}`,
    value: followUpValue(target, followUp),
  });
}

export type ParsedFollowUp = { ok: true; target: string; queryId: string } | { ok: false; reason: string };

const RETYPE = 'Run `/pg slow-queries` again and use its buttons, or type `/pg explain <queryid> <target>`.';

/** A clicked Explain button's value, read like typed input: a target name, a colon, a queryid; nothing else. */
export function parseExplainValue(value: string): ParsedFollowUp {
  const colon = value.indexOf(':');
  const target = targetNameSchema.safeParse(colon > 0 ? value.slice(0, colon) : '');
  if (!target.success)
    return {
      ok: false,
      reason: `This Explain button does not name a target pgmedic knows how to read, so nothing ran. ${RETYPE}`,
    };
  const queryId = asQueryId(value.slice(colon + 1));
  if (queryId === undefined)
    return {
      ok: false,
      reason: `This Explain button does not carry a queryid (a whole number from slow-queries), so nothing ran. ${RETYPE}`,
    };
  return { ok: true, target: target.data, queryId };
}
