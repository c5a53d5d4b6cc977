import type * as arrow from 'apache-arrow';
import { tableFromColumns, type Column } from './table.ts';

/**
 * A Parquet table's columns declared once (name, type, meaning) and used by its writer and by every reader: the
 * writer builds the table from typed rows, a reader gets typed rows back after a check that every declared column is
 * there with its type, and the meanings are the table's documentation.
 */
export type ColumnType = Column['type'];

type ValueOf<T extends ColumnType> = T extends 'int32' | 'float32'
  ? number
  : T extends 'float64'
    ? number | null
    : T extends 'utf8'
      ? string
      : T extends 'bool'
        ? boolean
        : readonly number[];

export interface ColumnSpec {
  type: ColumnType;
  meaning: string;
}

export type TableColumns = Record<string, ColumnSpec>;

export type RowOf<C extends TableColumns> = { [K in keyof C]: ValueOf<C[K]['type']> };

/** Arrow's type names (`Type[typeId]` of a field) for each column type. */
const ARROW_TYPE: Record<ColumnType, string> = {
  int32: 'Int32',
  float32: 'Float32',
  float64: 'Float64',
  utf8: 'Utf8',
  bool: 'Bool',
  int32list: 'List<Int32>',
};

export interface TableSpec<C extends TableColumns> {
  /** The file name in the writer's output directory. */
  file: string;
  columns: C;
  /** The table of these rows, each column with its declared type. */
  fromRows(rows: readonly RowOf<C>[]): arrow.Table;
  /** The rows of a table read from `path`; throws naming the file and the column when one is missing or mistyped. */
  rows(table: arrow.Table, path: string): RowOf<C>[];
  /** The same, for the named columns only (a reader that needs a few columns of a large table). */
  select<K extends keyof C & string>(table: arrow.Table, path: string, names: readonly K[]): Pick<RowOf<C>, K>[];
}

function toValue(type: ColumnType, value: unknown): unknown {
  switch (type) {
    case 'int32':
    case 'float32':
      return Number(value);
    case 'float64':
      return value === null ? null : Number(value);
    case 'utf8':
      return String(value);
    case 'bool':
      return Boolean(value);
    case 'int32list':
      return Array.from(value as Iterable<number>);
  }
}

export function defineTable<const C extends TableColumns>(file: string, columns: C): TableSpec<C> {
  const names = Object.keys(columns) as (keyof C & string)[];
  const select = <K extends keyof C & string>(table: arrow.Table, path: string, selected: readonly K[]): Pick<RowOf<C>, K>[] => {
    const vectors = selected.map((name) => {
      const vector = table.getChild(name);
      if (!vector) throw new Error(`${path} has no column "${name}" (${columns[name].meaning})`);
      const expected = ARROW_TYPE[columns[name].type];
      const actual = String(vector.type).replace(/\s+/g, '');
      if (actual !== expected) throw new Error(`${path}: column "${name}" is ${actual}, expected ${expected} (${columns[name].meaning})`);
      return { name, type: columns[name].type, vector };
    });
    return Array.from({ length: table.numRows }, (_, i) => {
      const row: Record<string, unknown> = {};
      for (const { name, type, vector } of vectors) row[name] = toValue(type, vector.get(i));
      return row as Pick<RowOf<C>, K>;
    });
  };
  return {
    file,
    columns,
    fromRows(rows) {
      const built: Record<string, Column> = {};
      for (const name of names) {
        const { type } = columns[name];
        built[name] = { type, values: rows.map((row) => row[name]) } as Column;
      }
      return tableFromColumns(built);
    },
    rows: (table, path) => select(table, path, names) as RowOf<C>[],
    select,
  };
}
