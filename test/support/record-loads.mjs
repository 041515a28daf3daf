// `node --import ./test/support/record-loads.mjs …`: writes `loaded <url>` to stderr for every ES module the
// process loads, so a test can see which of the bundle's chunks a run evaluates (module hooks run off-thread,
// so the line goes straight to file descriptor 2).
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`import { writeSync } from 'node:fs';
export async function load(url, context, next) { writeSync(2, 'loaded ' + url + '\\n'); return next(url, context); }`),
);
