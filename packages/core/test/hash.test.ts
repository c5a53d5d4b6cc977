import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeVersion, sha256File, sha256Hex } from '../src/hash.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'core-hash-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(rel: string, content: string): Promise<void> {
  const abs = path.join(root, rel);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, content);
}

describe('sha256', () => {
  it('hashes strings and bytes alike', () => {
    const expected = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';
    expect(sha256Hex('hello world')).toBe(expected);
    expect(sha256Hex(new TextEncoder().encode('hello world'))).toBe(expected);
  });

  it('streams a file to the same digest as hashing it whole', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await writeFile(path.join(root, 'big.bin'), big);
    expect(await sha256File(path.join(root, 'big.bin'))).toBe(createHash('sha256').update(big).digest('hex'));
  });
});

describe('codeVersion', () => {
  beforeEach(async () => {
    await put('a/package.json', '{"name":"a"}');
    await put('a/src/x.ts', 'export const x = 1;\n');
    await put('b/src/y.ts', 'export const y = 2;\n');
  });
  const dirs = (): string[] => [path.join(root, 'a'), path.join(root, 'b')];

  it('is 16 hex chars, stable when nothing changes, independent of dir order', () => {
    const v = codeVersion(dirs());
    expect(v).toMatch(/^[0-9a-f]{16}$/);
    expect(codeVersion(dirs())).toBe(v);
    expect(codeVersion([...dirs()].reverse())).toBe(v);
  });

  it('changes when a source file, package.json or a file name changes, or a file is added', async () => {
    const v0 = codeVersion(dirs());
    await put('a/src/x.ts', 'export const x = 3;\n');
    const v1 = codeVersion(dirs());
    expect(v1).not.toBe(v0);
    await put('a/package.json', '{"name":"a2"}');
    const v2 = codeVersion(dirs());
    expect(v2).not.toBe(v1);
    await put('b/src/z.ts', '');
    expect(codeVersion(dirs())).not.toBe(v2);
  });

  it('ignores node_modules, test dirs, test files and non-ts files', async () => {
    const v0 = codeVersion(dirs());
    await put('a/node_modules/dep/index.ts', 'x');
    await put('a/test/x.test.ts', 'x');
    await put('a/src/x.test.ts', 'x');
    await put('a/src/notes.md', 'x');
    expect(codeVersion(dirs())).toBe(v0);
  });

  it('does not depend on where the tree lives', async () => {
    const v0 = codeVersion(dirs());
    const elsewhere = path.join(root, 'nested', 'copy');
    await put('nested/copy/a/package.json', '{"name":"a"}');
    await put('nested/copy/a/src/x.ts', 'export const x = 1;\n');
    await put('nested/copy/b/src/y.ts', 'export const y = 2;\n');
    expect(codeVersion([path.join(elsewhere, 'a'), path.join(elsewhere, 'b')])).toBe(v0);
  });

  it('throws for a directory that does not exist', () => {
    expect(() => codeVersion([path.join(root, 'nope')])).toThrow(/not a directory/);
  });
});
