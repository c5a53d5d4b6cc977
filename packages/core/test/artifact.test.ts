import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as arrow from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStageOutput, readManifest, removeStaleTempDirs, writeStageOutput, type StageTarget } from '../src/artifact.ts';
import { sha256Hex } from '../src/hash.ts';
import { ArtifactError, type Manifest } from '../src/manifest.ts';
import { writeParquetFile } from '../src/parquet.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'core-artifact-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function target(dir: string, overrides: Partial<StageTarget> = {}): StageTarget {
  return {
    dir,
    stage: 'label',
    pipeline: 'tiny',
    config: { n: 3, model: { width: 8, depth: 2 } },
    seed: 1234,
    codeVersion: '0123456789abcdef',
    upstream: [{ stage: 'pretrain', dir: 'artifacts/tiny/pretrain', manifestSha256: 'a'.repeat(64) }],
    ...overrides,
  };
}

const NOTES = 'hello artifact\n';

async function writeSample(tmpDir: string): Promise<void> {
  await writeFile(path.join(tmpDir, 'notes.txt'), NOTES);
  await mkdir(path.join(tmpDir, 'shards'));
  await writeParquetFile(path.join(tmpDir, 'shards', 'part-0.parquet'), new arrow.Table({ x: arrow.vectorFromArray(Int32Array.from([1, 2, 3, 4, 5])) }));
}

async function siblings(dir: string): Promise<string[]> {
  return (await readdir(path.dirname(dir))).filter((n) => n.startsWith(path.basename(dir)));
}

describe('writeStageOutput', () => {
  it('writes a manifest with sorted files, hashes, sizes and parquet row counts', async () => {
    const dir = path.join(root, 'artifacts', 'tiny', 'label');
    const manifest = await writeStageOutput(target(dir), writeSample);

    expect(manifest.files.map((f) => f.path)).toEqual(['notes.txt', 'shards/part-0.parquet']);
    const notes = manifest.files[0];
    expect(notes).toEqual({ path: 'notes.txt', sha256: sha256Hex(NOTES), bytes: Buffer.byteLength(NOTES) });
    const shard = manifest.files[1];
    const shardBytes = await readFile(path.join(dir, 'shards', 'part-0.parquet'));
    expect(shard).toEqual({ path: 'shards/part-0.parquet', sha256: sha256Hex(shardBytes), bytes: shardBytes.length, rows: 5 });

    const onDisk: Manifest | undefined = await readManifest(dir);
    expect(onDisk).toEqual(manifest);
    expect(manifest).toMatchObject({ schemaVersion: 1, stage: 'label', pipeline: 'tiny', seed: 1234 });
    expect(await siblings(dir)).toEqual(['label']);
  });

  it('produces byte-identical manifests for the same inputs, whatever the config key order', async () => {
    const a = path.join(root, 'a', 'label');
    const b = path.join(root, 'b', 'label');
    await writeStageOutput(target(a), writeSample);
    await writeStageOutput(target(b, { config: { model: { depth: 2, width: 8 }, n: 3 } }), writeSample);
    const textA = await readFile(path.join(a, 'manifest.json'), 'utf8');
    expect(await readFile(path.join(b, 'manifest.json'), 'utf8')).toBe(textA);
    expect(textA).toMatch(/^\{\n {2}"schemaVersion": 1,\n {2}"stage": "label",/);
    expect(textA.endsWith('}\n')).toBe(true);
  });

  it('replaces an existing output and leaves no temp dirs', async () => {
    const dir = path.join(root, 'label');
    await writeStageOutput(target(dir), writeSample);
    await writeStageOutput(target(dir), async (tmp) => writeFile(path.join(tmp, 'only.txt'), 'v2'));
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'only.txt']);
    expect(await siblings(dir)).toEqual(['label']);
  });

  it('a write() that throws leaves the existing output untouched and removes its temp dir', async () => {
    const dir = path.join(root, 'label');
    await writeStageOutput(target(dir), writeSample);
    const before = await readFile(path.join(dir, 'manifest.json'));

    let seenTmp = '';
    const failing = writeStageOutput(target(dir, { seed: 99 }), async (tmp) => {
      seenTmp = tmp;
      await writeFile(path.join(tmp, 'notes.txt'), 'half-written');
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');

    expect(path.basename(seenTmp)).toMatch(/^label\.tmp-\d+-[0-9a-f]+$/);
    expect(await readFile(path.join(dir, 'manifest.json'))).toEqual(before);
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe(NOTES);
    expect(await siblings(dir)).toEqual(['label']);
    await expect(openStageOutput(dir, 'label')).resolves.toBeDefined();
  });

  it('a write() that throws on a fresh dir leaves nothing behind', async () => {
    const dir = path.join(root, 'label');
    await expect(writeStageOutput(target(dir), async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await readdir(root)).toEqual([]);
  });

  it('rejects a stage that writes its own manifest.json', async () => {
    const dir = path.join(root, 'label');
    const run = writeStageOutput(target(dir), async (tmp) => writeFile(path.join(tmp, 'manifest.json'), '{}'));
    await expect(run).rejects.toThrow(ArtifactError);
    expect(await readdir(root)).toEqual([]);
  });

  it('rejects a config JSON cannot represent before running write()', async () => {
    let ran = false;
    const run = writeStageOutput(target(path.join(root, 'label'), { config: { lr: Number.NaN } }), async () => {
      ran = true;
    });
    await expect(run).rejects.toThrow(/config\.lr is NaN/);
    expect(ran).toBe(false);
  });
});

describe('manifests do not depend on where the checkout is', () => {
  it('records upstream dirs relative to the artifacts root, so two checkouts write identical manifests', async () => {
    const manifests: string[] = [];
    for (const checkout of ['first-checkout', 'elsewhere/second']) {
      const upstreamDir = path.join(root, checkout, 'artifacts', 'tiny', 'pretrain');
      await writeStageOutput(target(upstreamDir, { stage: 'pretrain', upstream: [] }), writeSample);
      const pretrain = await openStageOutput(upstreamDir, 'pretrain');
      const dir = path.join(root, checkout, 'artifacts', 'tiny', 'label');
      await writeStageOutput(target(dir, { upstream: [pretrain.ref()] }), writeSample);
      manifests.push(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    }
    expect(manifests[0]).not.toContain(root);
    expect(JSON.parse(manifests[0]!).upstream[0].dir).toBe('tiny/pretrain');
    expect(manifests[1]).toBe(manifests[0]);
  });

  it('an absolute upstream dir given by hand is recorded relative to the artifacts root too', async () => {
    const dir = path.join(root, 'artifacts', 'tiny', 'label');
    const manifest = await writeStageOutput(
      target(dir, { upstream: [{ stage: 'pretrain', dir: path.join(root, 'artifacts', 'tiny', 'pretrain'), manifestSha256: 'a'.repeat(64) }] }),
      writeSample,
    );
    expect(manifest.upstream[0]!.dir).toBe('tiny/pretrain');
  });
});

describe('a process killed mid-write', () => {
  it('leaves the existing output untouched; the next write clears its temp dir', async () => {
    const dir = path.join(root, 'label');
    await writeStageOutput(target(dir), writeSample);
    const before = await readFile(path.join(dir, 'manifest.json'));

    const artifactModule = fileURLToPath(new URL('../src/artifact.ts', import.meta.url));
    const script = path.join(root, 'killed.mts');
    await writeFile(
      script,
      `import { writeFile } from 'node:fs/promises';
import { writeStageOutput } from ${JSON.stringify(artifactModule)};
await writeStageOutput(${JSON.stringify(target(dir))}, async (tmp) => {
  await writeFile(tmp + '/notes.txt', 'partial');
  console.log('written');
  await new Promise(() => setInterval(() => {}, 1000));
});
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('written')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    expect(await readFile(path.join(dir, 'manifest.json'))).toEqual(before);
    expect(await siblings(dir)).toEqual(['label', expect.stringMatching(/^label\.tmp-\d+-/)]);
    await expect(openStageOutput(dir, 'label')).resolves.toBeDefined();

    await writeStageOutput(target(dir), writeSample);
    expect(await siblings(dir)).toEqual(['label']);
  }, 30_000);
});

describe('removeStaleTempDirs', () => {
  it('removes temp dirs of dead processes but not of live ones', async () => {
    const dir = path.join(root, 'label');
    // A pid that has certainly exited: a child we ran to completion.
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = `${dir}.tmp-${deadPid}-abc123`;
    const live = `${dir}.tmp-${process.pid}-def456`;
    const unrelated = path.join(root, 'labelled.tmp-1-aa');
    for (const d of [stale, live, unrelated]) await mkdir(d);

    expect(await removeStaleTempDirs(dir)).toEqual([stale]);
    expect((await readdir(root)).sort()).toEqual([path.basename(live), 'labelled.tmp-1-aa'].sort());
  });
});

describe('openStageOutput', () => {
  let dir: string;
  beforeEach(async () => {
    dir = path.join(root, 'artifacts', 'tiny', 'label');
    await writeStageOutput(target(dir), writeSample);
  });

  it('opens a valid output, resolves listed files and builds an upstream ref', async () => {
    const out = await openStageOutput(dir, 'label');
    const manifestBytes = await readFile(path.join(dir, 'manifest.json'));
    expect(out.manifestSha256).toBe(sha256Hex(manifestBytes));
    expect(out.file('shards/part-0.parquet')).toBe(path.resolve(dir, 'shards', 'part-0.parquet'));
    expect(out.ref()).toEqual({ stage: 'label', dir: 'tiny/label', manifestSha256: sha256Hex(manifestBytes) });
    expect(() => out.file('nope.txt')).toThrow(ArtifactError);
    expect(() => out.file('../label/notes.txt')).toThrow(/not in artifact/);
  });

  it('missing manifest: names the manifest path, the stage and the hint', async () => {
    const empty = path.join(root, 'artifacts', 'tiny', 'proxy');
    const err = await openStageOutput(empty, 'proxy', { hint: 'npm run pipeline -- tiny proxy' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    const manifestPath = path.join(empty, 'manifest.json');
    expect((err as ArtifactError).message).toBe(
      `missing artifact: ${manifestPath} is made by stage 'proxy' — run that stage first (npm run pipeline -- tiny proxy)`,
    );
    expect(err).toMatchObject({ path: manifestPath, stage: 'proxy' });
    expect(await readManifest(empty)).toBeUndefined();
  });

  it('changed bytes: names the file and the stage', async () => {
    const file = path.join(dir, 'notes.txt');
    await writeFile(file, NOTES.toUpperCase()); // same size, different content
    const err = await openStageOutput(dir, 'label').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toMatch(/^corrupt artifact: .* \(made by stage 'label'\): sha256 is [0-9a-f]{64}, manifest records/);
    expect((err as Error).message).toContain(file);
    expect(err).toMatchObject({ path: file, stage: 'label' });
    // verify: false trusts the manifest.
    await expect(openStageOutput(dir, 'label', { verify: false })).resolves.toBeDefined();
  });

  it('changed size: says so', async () => {
    await writeFile(path.join(dir, 'notes.txt'), `${NOTES}more`);
    await expect(openStageOutput(dir, 'label')).rejects.toThrow(/notes\.txt \(made by stage 'label'\): size is \d+ bytes, manifest records \d+/);
  });

  it('deleted file: names the file and says it is missing', async () => {
    const file = path.join(dir, 'shards', 'part-0.parquet');
    await rm(file);
    await expect(openStageOutput(dir, 'label')).rejects.toThrow(`corrupt artifact: ${file} (made by stage 'label'): file is missing`);
  });

  it('wrong stage: names both stages', async () => {
    const err = await openStageOutput(dir, 'proxy').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toMatch(/made by stage 'label', expected stage 'proxy'/);
  });

  it('malformed manifest: names the manifest path', async () => {
    const manifestPath = path.join(dir, 'manifest.json');
    await writeFile(manifestPath, '{"schemaVersion": 1, "stage": ');
    await expect(openStageOutput(dir, 'label')).rejects.toThrow(`malformed manifest: ${manifestPath}`);
    await expect(readManifest(dir)).rejects.toThrow(ArtifactError);
  });

  it('manifest with an escaping path or bad hash: rejected as malformed', async () => {
    const manifestPath = path.join(dir, 'manifest.json');
    const m = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
    await writeFile(manifestPath, JSON.stringify({ ...m, files: [{ ...m.files[0], path: '../../etc/passwd' }] }));
    await expect(openStageOutput(dir, 'label')).rejects.toThrow(/malformed manifest: .*files\.0\.path/);
    await writeFile(manifestPath, JSON.stringify({ ...m, files: [{ ...m.files[0], sha256: 'xyz' }] }));
    await expect(openStageOutput(dir, 'label')).rejects.toThrow(/files\.0\.sha256/);
    await writeFile(manifestPath, JSON.stringify({ ...m, schemaVersion: 2 }));
    await expect(openStageOutput(dir, 'label')).rejects.toThrow(/schemaVersion/);
  });
});
