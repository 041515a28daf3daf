/**
 * Autovacuum's own trigger arithmetic (autovacuum.c, relation_needs_vacanalyze) as SQL fragments over
 * `pg_class c`, `pg_stat_all_tables s` and the per-table settings joined as `ro` by AUTOVACUUM_RELOPTIONS_JOIN.
 * Shared by `vacuum` (is autovacuum keeping up?) and `bloat` (is a VACUUM worth offering?).
 */

/** Per-table storage parameters that override the autovacuum settings (absent ones stay NULL). */
export const AUTOVACUUM_RELOPTIONS_JOIN = `
LEFT JOIN LATERAL (
  SELECT max(o.option_value) FILTER (WHERE o.option_name = 'autovacuum_enabled') AS enabled,
         max(o.option_value) FILTER (WHERE o.option_name = 'autovacuum_vacuum_threshold') AS vacuum_threshold,
         max(o.option_value) FILTER (WHERE o.option_name = 'autovacuum_vacuum_scale_factor') AS vacuum_scale_factor,
         max(o.option_value) FILTER (WHERE o.option_name = 'autovacuum_vacuum_max_threshold') AS vacuum_max_threshold,
         max(o.option_value) FILTER (WHERE o.option_name = 'autovacuum_vacuum_insert_threshold') AS insert_threshold,
         max(o.option_value) FILTER (WHERE o.option_name = 'autovacuum_vacuum_insert_scale_factor') AS insert_scale_factor,
         max(o.option_value) FILTER (WHERE o.option_name = 'autovacuum_freeze_max_age') AS freeze_max_age,
         max(o.option_value) FILTER (WHERE o.option_name = 'autovacuum_multixact_freeze_max_age') AS multixact_freeze_max_age,
         count(*) FILTER (WHERE o.option_name LIKE 'autovacuum%') AS autovacuum_options
  FROM pg_catalog.pg_options_to_table(c.reloptions) o
) ro ON true`;

/**
 * The server-wide settings, read once per statement (current_setting per row costs more than the rest of the
 * arithmetic on a 10,000-table catalog). Join it next to AUTOVACUUM_RELOPTIONS_JOIN; 18 adds the max threshold.
 * OFFSET 0 keeps the planner from pulling the subquery up into the outer query: pulled up, every use of a setting
 * in the trigger arithmetic became a current_setting call of its own, some twenty per table.
 */
export function autovacuumSettingsJoin(serverVersionNum: number): string {
  const names = [
    'autovacuum_vacuum_threshold',
    'autovacuum_vacuum_scale_factor',
    'autovacuum_vacuum_insert_threshold',
    'autovacuum_vacuum_insert_scale_factor',
    'autovacuum_freeze_max_age',
    'autovacuum_multixact_freeze_max_age',
    ...(serverVersionNum >= 180000 ? ['autovacuum_vacuum_max_threshold'] : []),
  ];
  return `CROSS JOIN (SELECT ${names.map((name) => `current_setting('${name}')::float8 AS ${name}`).join(', ')} OFFSET 0) avs`;
}

const setting = (name: string) => `avs.${name}`;
const effective = (reloption: string, name: string) => `coalesce(ro.${reloption}::float8, ${setting(name)})`;

/** Autovacuum treats a never-vacuumed table (reltuples = -1) as empty. */
const TUPLES = 'greatest(c.reltuples, 0)::float8';

const BASE_DEAD_TRIGGER = `(${effective('vacuum_threshold', 'autovacuum_vacuum_threshold')} + ${effective('vacuum_scale_factor', 'autovacuum_vacuum_scale_factor')} * ${TUPLES})`;

/** Dead tuples (n_dead_tup) above which autovacuum vacuums the table; 18 caps it with autovacuum_vacuum_max_threshold (-1 = no cap). */
export function deadTupleTrigger(serverVersionNum: number): string {
  if (serverVersionNum < 180000) return BASE_DEAD_TRIGGER;
  const cap = effective('vacuum_max_threshold', 'autovacuum_vacuum_max_threshold');
  return `(CASE WHEN ${cap} >= 0 THEN least(${BASE_DEAD_TRIGGER}, ${cap}) ELSE ${BASE_DEAD_TRIGGER} END)`;
}

/**
 * Rows inserted since the last vacuum (n_ins_since_vacuum) above which autovacuum vacuums the table, NULL when
 * the insert trigger is off (-1). From 18 the scale factor applies to the unfrozen share of the table only.
 */
export function insertTrigger(serverVersionNum: number): string {
  const base = effective('insert_threshold', 'autovacuum_vacuum_insert_threshold');
  const unfrozen =
    serverVersionNum >= 180000
      ? ' * (CASE WHEN c.relpages > 0 THEN 1 - least(c.relallfrozen, c.relpages)::float8 / c.relpages ELSE 1 END)'
      : '';
  return `(CASE WHEN ${base} >= 0 THEN ${base} + ${effective('insert_scale_factor', 'autovacuum_vacuum_insert_scale_factor')} * ${TUPLES}${unfrozen} END)`;
}

/** autovacuum_enabled for the table (the server-wide `autovacuum` setting is reported separately). */
export const AUTOVACUUM_ENABLED = `coalesce(ro.enabled::boolean, true)`;

/** A per-table freeze_max_age can only lower the server's (autovacuum.c takes the minimum). */
export const FREEZE_MAX_AGE = `least(${effective('freeze_max_age', 'autovacuum_freeze_max_age')}, ${setting('autovacuum_freeze_max_age')})`;
export const MULTIXACT_FREEZE_MAX_AGE = `least(${effective('multixact_freeze_max_age', 'autovacuum_multixact_freeze_max_age')}, ${setting('autovacuum_multixact_freeze_max_age')})`;

/** Builds the same statement for every version whose trigger arithmetic differs (14–17 and 18+). */
export function byTriggerVersion(build: (serverVersionNum: number) => string): Record<number, string> {
  return { 140000: build(140000), 180000: build(180000) };
}
