import * as arrow from 'apache-arrow';

/**
 * Typed column builders for the tables stages write. Explicit types matter: arrow infers a dictionary type for
 * plain string arrays and float64 for every number, while DuckDB and pandas users expect utf8 and int32.
 */
export type Column =
  | { type: 'int32'; values: ArrayLike<number> }
  | { type: 'float64'; values: ArrayLike<number | null> }
  | { type: 'float32'; values: ArrayLike<number> }
  | { type: 'utf8'; values: readonly string[] }
  | { type: 'bool'; values: readonly boolean[] }
  | { type: 'int32list'; values: readonly (readonly number[])[] };

export function tableFromColumns(columns: Record<string, Column>): arrow.Table {
  const lengths = new Set(Object.values(columns).map((c) => c.values.length));
  if (lengths.size > 1) {
    throw new Error(
      `columns differ in length: ${Object.entries(columns)
        .map(([k, c]) => `${k}=${c.values.length}`)
        .join(', ')}`,
    );
  }
  const vectors: Record<string, arrow.Vector> = {};
  for (const [name, column] of Object.entries(columns)) vectors[name] = toVector(column);
  return new arrow.Table(vectors);
}

function toVector(column: Column): arrow.Vector {
  switch (column.type) {
    case 'int32':
      return arrow.vectorFromArray(Int32Array.from(column.values));
    case 'float32':
      return arrow.vectorFromArray(Float32Array.from(column.values));
    case 'float64':
      return arrow.vectorFromArray(Array.from(column.values), new arrow.Float64());
    case 'utf8':
      return arrow.vectorFromArray(column.values, new arrow.Utf8());
    case 'bool':
      return arrow.vectorFromArray(column.values, new arrow.Bool());
    case 'int32list':
      return arrow.vectorFromArray(
        column.values.map((row) => Int32Array.from(row)),
        new arrow.List(new arrow.Field('item', new arrow.Int32(), false)),
      );
  }
}

/** Rows of a table as plain objects (small tables: summaries, curves). */
export function tableRows(table: arrow.Table): Record<string, unknown>[] {
  return table.toArray().map((row) => (row as { toJSON(): Record<string, unknown> }).toJSON());
}

/** Stacks tables with one schema (a stage's per-run tables into its summary); names the first that differs. */
export function concatTables(tables: readonly arrow.Table[], names: readonly string[]): arrow.Table {
  if (tables.length === 0) throw new Error('no tables to concatenate');
  const columns = tables[0].schema.fields.map((f) => `${f.name}:${f.type}`).join(',');
  tables.forEach((table, i) => {
    const these = table.schema.fields.map((f) => `${f.name}:${f.type}`).join(',');
    if (these !== columns) throw new Error(`${names[i]} has columns (${these}), unlike ${names[0]} (${columns})`);
  });
  return tables.slice(1).reduce((all, table) => all.concat(table), tables[0]);
}
