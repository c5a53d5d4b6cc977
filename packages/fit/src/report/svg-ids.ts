/**
 * Every Vega SVG numbers its clip paths and gradients from 1 ("clip1"). Inlined side by side in one HTML page, a
 * second figure's url(#clip1) would resolve to the first figure's clip path and crop its marks, so each figure's ids
 * get its own prefix before inlining.
 */
export function namespaceSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const match of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(match[1]!);
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (whole, open: string, id: string, close: string) => (ids.has(id) ? `${open}${prefix}-${id}${close}` : whole))
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => (ids.has(id) ? `url(#${prefix}-${id})` : whole))
    .replace(/(href=")#([^"]+)(")/g, (whole, open: string, id: string, close: string) => (ids.has(id) ? `${open}#${prefix}-${id}${close}` : whole));
}
