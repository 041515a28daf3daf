/**
 * PostgreSQL's parser (libpg_query, WASM), loaded on first need rather than at import: loading costs about 90 ms
 * and 17 MB, which a CLI check that shows no query text (or `pgmedic --help`) should not pay. Until it is loaded the
 * redaction falls back to its conservative scanner, which never lets a literal through.
 */
type Parser = typeof import('libpg-query');

let parser: Parser | undefined;
let loading: Promise<void> | undefined;

export function loadParser(): Promise<void> {
  loading ??= import('libpg-query').then(async (module) => {
    await module.loadModule();
    parser = module;
  });
  return loading;
}

export const loadedParser = (): Parser | undefined => parser;
