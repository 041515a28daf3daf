/** The stand-in lives in src/workspace/standin (the local workspace serves it too); tests import it from here. */
export { BOT, startSlackStandIn, type SlackStandIn } from '../../../src/workspace/standin/standin.js';
