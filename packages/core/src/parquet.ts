import { openAsBlob } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import type { ParquetFile } from 'parquet-wasm/node';
import { ArtifactError } from './manifest.ts';

type ParquetWasm = typeof import('parquet-wasm/node');

let parquetWasmModule: Promise<ParquetWasm> | undefined;

/**
 * The Node build of parquet-wasm compiles its ~5 MB wasm synchronously when first imported.
 * Loading it lazily keeps that cost off every importer of the core package that never touches
 * Parquet; the memoised promise makes sure it is instantiated exactly once per process.
 */
function parquetWasm(): Promise<ParquetWasm> {
  parquetWasmModule ??= import('parquet-wasm/node');
  return parquetWasmModule;
}

// arrow-rs caps the batch size at the file's row count, so this yields one batch per read
// instead of the default 1024-row slices that make column access chunked and slow.
const ONE_BATCH = 2 ** 31 - 1;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isMissing(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'ENOENT';
}

export async function writeParquetFile(path: string, table: Table): Promise<void> {
  const pw = await parquetWasm();
  let bytes: Uint8Array;
  try {
    const wasmTable = pw.Table.fromIPCStream(tableToIPC(table, 'stream'));
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).build();
    // writeParquet takes ownership of (and frees) both wasm objects.
    bytes = pw.writeParquet(wasmTable, props);
  } catch (err) {
    throw new Error(`cannot encode Parquet for ${path}: ${describe(err)}`, { cause: err });
  }
  await writeFile(path, bytes);
}

export async function readParquetFile(path: string): Promise<Table> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const what = isMissing(err) ? 'missing Parquet file' : 'unreadable Parquet file';
    throw new ArtifactError(`${what}: ${path} (${describe(err)})`, path, undefined, { cause: err });
  }
  const pw = await parquetWasm();
  let ipc: Uint8Array;
  try {
    // intoIPCStream consumes and frees the wasm-side table.
    ipc = pw.readParquet(bytes, { batchSize: ONE_BATCH }).intoIPCStream();
  } catch (err) {
    throw new ArtifactError(`not a valid Parquet file: ${path} (${describe(err)})`, path, undefined, { cause: err });
  }
  return tableFromIPC(ipc);
}

/** Row count from the footer alone: reads a few KB, not the column data. */
export async function parquetRowCount(path: string): Promise<number> {
  let blob: Blob;
  try {
    blob = await openAsBlob(path);
  } catch (err) {
    const what = isMissing(err) ? 'missing Parquet file' : 'unreadable Parquet file';
    throw new ArtifactError(`${what}: ${path} (${describe(err)})`, path, undefined, { cause: err });
  }
  const pw = await parquetWasm();
  let file: ParquetFile;
  try {
    file = await pw.ParquetFile.fromFile(blob);
  } catch (err) {
    throw new ArtifactError(`not a valid Parquet file: ${path} (${describe(err)})`, path, undefined, { cause: err });
  }
  const metadata = file.metadata();
  const fileMetadata = metadata.fileMetadata();
  try {
    return fileMetadata.numRows();
  } finally {
    fileMetadata.free();
    metadata.free();
    file.free();
  }
}
