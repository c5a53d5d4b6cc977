import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactError } from '../src/manifest.ts';
import { parquetRowCount, readParquetFile, writeParquetFile } from '../src/parquet.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'core-parquet-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const N = 3000; // > parquet-wasm's default 1024-row batch, to exercise batching

function sampleTable(): arrow.Table {
  return new arrow.Table({
    id: arrow.vectorFromArray(Int32Array.from({ length: N }, (_, i) => i * 7 - 9000)),
    reward: arrow.vectorFromArray(Float64Array.from({ length: N }, (_, i) => Math.sin(i) * 1e6 + 1 / 3)),
    logprob: arrow.vectorFromArray(Float32Array.from({ length: N }, (_, i) => -i / 7)),
    text: arrow.vectorFromArray(
      Array.from({ length: N }, (_, i) => (i % 11 === 0 ? '' : `sample ${i} ✓ ${'é'.repeat(i % 5)}`)),
      new arrow.Utf8(),
    ),
    tokens: arrow.vectorFromArray(
      Array.from({ length: N }, (_, i) => Int32Array.from({ length: i % 6 }, (_, j) => i * 10 + j - 5)),
      new arrow.List(new arrow.Field('item', new arrow.Int32(), false)),
    ),
  });
}

describe('Parquet round trip', () => {
  it('preserves int32, float64, float32, utf8 and list<int32> columns exactly', async () => {
    const table = sampleTable();
    const file = path.join(root, 'sample.parquet');
    await writeParquetFile(file, table);
    const back = await readParquetFile(file);

    expect(back.numRows).toBe(N);
    expect(back.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`));
    expect(back.getChild('id')?.toArray()).toEqual(table.getChild('id')?.toArray());
    // Compare raw bytes so that any float drift, even in the last bit, fails.
    for (const name of ['reward', 'logprob']) {
      const a = table.getChild(name)?.toArray() as Float64Array | Float32Array;
      const b = back.getChild(name)?.toArray() as Float64Array | Float32Array;
      expect(b.constructor).toBe(a.constructor);
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
    }
    expect(back.getChild('text')?.toArray()).toEqual(table.getChild('text')?.toArray());
    const tokens = (t: arrow.Table): (number | null)[][] =>
      Array.from({ length: N }, (_, i) => Array.from(t.getChild('tokens')?.get(i) as arrow.Vector<arrow.Int32>));
    expect(tokens(back)).toEqual(tokens(table));
  });

  it('reads back as a single record batch rather than 1024-row slices', async () => {
    const file = path.join(root, 'sample.parquet');
    await writeParquetFile(file, sampleTable());
    expect((await readParquetFile(file)).batches).toHaveLength(1);
  });

  it('preserves nulls, bool, int64 and dictionary strings', async () => {
    const table = new arrow.Table({
      maybe: arrow.vectorFromArray([1.5, null, -2], new arrow.Float64()),
      flag: arrow.vectorFromArray([true, null, false], new arrow.Bool()),
      big: arrow.vectorFromArray(BigInt64Array.from([2n ** 40n, -1n, 0n])),
      label: arrow.vectorFromArray(['pos', 'neg', 'pos']), // inferred as Dictionary<Int32, Utf8>
    });
    const file = path.join(root, 'nulls.parquet');
    await writeParquetFile(file, table);
    const back = await readParquetFile(file);
    expect(back.toArray().map((r) => r.toJSON())).toEqual(table.toArray().map((r) => r.toJSON()));
    expect(String(back.schema.fields[3].type)).toBe(String(table.schema.fields[3].type));
  });

  it('writes an empty table with its schema', async () => {
    const schema = new arrow.Schema([new arrow.Field('x', new arrow.Int32(), false)]);
    const file = path.join(root, 'empty.parquet');
    await writeParquetFile(file, new arrow.Table(schema));
    const back = await readParquetFile(file);
    expect(back.numRows).toBe(0);
    expect(back.schema.fields.map((f) => f.name)).toEqual(['x']);
    expect(await parquetRowCount(file)).toBe(0);
  });

  it('is byte-deterministic for the same table', async () => {
    const a = path.join(root, 'a.parquet');
    const b = path.join(root, 'b.parquet');
    await writeParquetFile(a, sampleTable());
    await writeParquetFile(b, sampleTable());
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);
  });
});

describe('Parquet file format', () => {
  it('uses ZSTD and standard layout (PAR1 magic, 3-level LIST) that other readers expect', async () => {
    const file = path.join(root, 'sample.parquet');
    await writeParquetFile(file, sampleTable());
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PAR1');
    expect(bytes.subarray(-4).toString('latin1')).toBe('PAR1');

    const pw = await import('parquet-wasm/node');
    const pf = await pw.ParquetFile.fromFile(await openAsBlob(file));
    const columns = pf
      .metadata()
      .rowGroups()
      .flatMap((rg) => rg.columns());
    expect(columns.length).toBeGreaterThan(0);
    for (const col of columns) expect(col.compression()).toBe(pw.Compression.ZSTD);
    const paths = columns.map((c) => c.columnPath().join('.'));
    expect(paths).toContain('tokens.list.item');
  });

  it('is much smaller than the raw data for compressible columns', async () => {
    const n = 100_000;
    const raw = Float64Array.from({ length: n }, (_, i) => i % 3);
    const file = path.join(root, 'zeros.parquet');
    await writeParquetFile(file, new arrow.Table({ v: arrow.vectorFromArray(raw) }));
    expect((await stat(file)).size).toBeLessThan(raw.byteLength / 20);
  });

  it('counts rows from the footer', async () => {
    const file = path.join(root, 'sample.parquet');
    await writeParquetFile(file, sampleTable());
    expect(await parquetRowCount(file)).toBe(N);
  });
});

describe('Parquet read errors', () => {
  it('a truncated file throws ArtifactError naming the path', async () => {
    const file = path.join(root, 'sample.parquet');
    await writeParquetFile(file, sampleTable());
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(readParquetFile(file)).rejects.toThrow(ArtifactError);
    await expect(readParquetFile(file)).rejects.toThrow(file);
    await expect(parquetRowCount(file)).rejects.toThrow(ArtifactError);
    await expect(parquetRowCount(file)).rejects.toThrow(file);
  });

  it('a missing file throws ArtifactError naming the path', async () => {
    const file = path.join(root, 'nope.parquet');
    await expect(readParquetFile(file)).rejects.toMatchObject({ name: 'ArtifactError', path: file });
    await expect(parquetRowCount(file)).rejects.toMatchObject({ name: 'ArtifactError', path: file });
  });

  it('a non-Parquet or empty file throws ArtifactError naming the path', async () => {
    const text = path.join(root, 'text.parquet');
    const empty = path.join(root, 'empty.parquet');
    await writeFile(text, 'this is not parquet at all');
    await writeFile(empty, '');
    for (const file of [text, empty]) {
      await expect(readParquetFile(file)).rejects.toMatchObject({ name: 'ArtifactError', path: file });
      await expect(parquetRowCount(file)).rejects.toMatchObject({ name: 'ArtifactError', path: file });
    }
  });

  it('still works after a failed read', async () => {
    const bad = path.join(root, 'bad.parquet');
    const good = path.join(root, 'good.parquet');
    await writeFile(bad, 'garbage');
    await writeParquetFile(good, sampleTable());
    await expect(readParquetFile(bad)).rejects.toThrow(ArtifactError);
    expect((await readParquetFile(good)).numRows).toBe(N);
  });
});
