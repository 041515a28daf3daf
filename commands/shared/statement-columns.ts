/** pg_stat_statements' column names follow the installed extension version, not the server (1.8 and 1.11 renamed some). */
export interface StatementColumns {
  total: string;
  mean: string;
  ioRead: string | null;
  toplevel: boolean;
}

/** Used by slow-queries (its table) and explain (the costliest statements it offers). */
export function statementColumns(present: readonly string[]): StatementColumns {
  const has = (name: string) => present.includes(name);
  return {
    total: has('total_exec_time') ? 'total_exec_time' : 'total_time',
    mean: has('mean_exec_time') ? 'mean_exec_time' : 'mean_time',
    ioRead: has('shared_blk_read_time') ? 'shared_blk_read_time' : has('blk_read_time') ? 'blk_read_time' : null,
    toplevel: has('toplevel'),
  };
}
