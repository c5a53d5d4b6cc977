import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceRoot } from '@goodhart/core';
import { anchorsOf, brokenReason, linksOf } from './support/markdown-links.ts';

const root = workspaceRoot();

function markdownUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownUnder(path);
    return entry.name.endsWith('.md') ? [relative(root, path)] : [];
  });
}

describe('relative links in README.md and docs/', () => {
  const files = ['README.md', ...markdownUnder(join(root, 'docs'))];

  it('finds the documentation', () => {
    expect(files).toContain(join('docs', 'architecture.md'));
    expect(files).toContain(join('docs', 'outputs.md'));
  });

  it('every relative link resolves to a file, and every #anchor to a heading', () => {
    const broken = files.flatMap((file) =>
      linksOf(file, readFileSync(join(root, file), 'utf8')).flatMap((link) => {
        const reason = brokenReason(root, link);
        return reason ? [`${link.file}:${link.line}: (${link.target}) ${reason}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('the checker sees links, skips code and URLs, and catches a missing file or anchor', () => {
    const text = [
      '# A `b` heading',
      '## Same',
      '## Same',
      '[x](docs/nowhere.md) ![y](README.md#a-b-heading) [u](https://example.org/x)',
      '```',
      '[code](nowhere.md)',
      '```',
      'see `[c](nowhere.md)`',
    ].join('\n');
    const links = linksOf('README.md', text);
    expect(links.map((l) => l.target)).toEqual(['docs/nowhere.md', 'README.md#a-b-heading', 'https://example.org/x']);
    expect(anchorsOf(text)).toEqual(new Set(['a-b-heading', 'same', 'same-1']));
    expect(brokenReason(root, links[0])).toMatch(/does not exist/);
    expect(brokenReason(root, links[2])).toBeUndefined();
    expect(brokenReason(root, { file: 'README.md', line: 1, target: 'docs/outputs.md#no-such-heading' })).toMatch(/no heading/);
    expect(brokenReason(root, { file: 'README.md', line: 1, target: 'docs/outputs.md#pretrain' })).toBeUndefined();
  });
});
