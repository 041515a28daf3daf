// The driver's helpers and types for code outside src/db, src/state and src/embedded: the one re-export, so `pg`
// itself is imported only there (docs/ARCHITECTURE.md, enforced by test/architecture/imports.test.ts).
export { escapeIdentifier, escapeLiteral } from 'pg';
export type { Pool, QueryResultRow } from 'pg';
