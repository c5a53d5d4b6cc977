/**
 * Relative links in Markdown files, and whether each resolves: the file or directory must exist and, for a link to
 * `#anchor` in a Markdown file, a heading of that file must have that anchor (GitHub's slugs). Links inside fenced
 * code blocks and inline code are not links.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface Link {
  file: string;
  line: number;
  target: string;
}

/** The text with fenced code blocks (and, unless `keepInline`, inline code) blanked out, line numbers kept. */
function withoutCode(text: string, keepInline = false): string {
  let fenced = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      if (fenced) return '';
      return keepInline ? line : line.replace(/`[^`]*`/g, '');
    })
    .join('\n');
}

/** Every link or image target `[..](target)`, `![..](target)`, `<img src="target">` of a Markdown file. */
export function linksOf(file: string, text: string): Link[] {
  const links: Link[] = [];
  withoutCode(text)
    .split('\n')
    .forEach((line, i) => {
      for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ file, line: i + 1, target: match[1] });
      for (const match of line.matchAll(/<img\s[^>]*src="([^"]+)"/g)) links.push({ file, line: i + 1, target: match[1] });
    });
  return links;
}

/** GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor of a Markdown file's headings, with GitHub's -1, -2 … for repeats. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCode(text, true).split('\n')) {
    const match = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const base = slug(match[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Why a relative link does not resolve, or undefined when it does (or is not relative: a URL or mail address). */
export function brokenReason(root: string, link: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return undefined;
  const [pathPart, anchor] = link.target.split('#', 2);
  const path = pathPart === '' ? join(root, link.file) : join(root, dirname(link.file), decodeURIComponent(pathPart));
  if (!existsSync(path)) return `${relative(root, path)} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(path).isDirectory() || !path.endsWith('.md')) return `#${anchor} points into ${relative(root, path)}, which is not a Markdown file`;
  if (!anchorsOf(readFileSync(path, 'utf8')).has(anchor.toLowerCase())) return `${relative(root, path)} has no heading with the anchor #${anchor}`;
  return undefined;
}
