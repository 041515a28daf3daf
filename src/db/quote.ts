// The one place outside the pools that touches the driver for SQL text: commands and actions quote identifiers and
// literals through here, so `pg` stays inside src/db (docs/ARCHITECTURE.md, test/architecture/imports.test.ts).
export { escapeIdentifier, escapeLiteral } from 'pg';
