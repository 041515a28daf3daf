/** snake_case → camelCase, as a type: 'xid_age' → 'xidAge'. */
type Camel<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** A row with its column names in camelCase: what a finding calls them. */
export type CamelCased<Row> = { [K in keyof Row as K extends string ? Camel<K> : K]: Row[K] };

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * The row with every column renamed to camelCase, values untouched, in the column order. For rows whose columns
 * are exactly the finding's fields; a column that means something else under its finding name is mapped by hand.
 */
export function camelCased<Row extends object>(row: Row): CamelCased<Row> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [camel(key), value])) as CamelCased<Row>;
}
