/**
 * JSON.parse keeps the last of two equal keys in an object without a word, so a pipeline file that sets a field twice
 * would run with whichever came last. This finds such a key, in one linear pass over text JSON.parse has accepted.
 */

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** The dotted path (`ppo.learningRate`, `proxy.grid.sizes[0]`) of the first key given twice in one object, if any. */
export function firstDuplicateKey(text: string): string | undefined {
  let i = 0;
  const skip = (): void => {
    while (i < text.length && WHITESPACE.has(text[i])) i += 1;
  };
  const readString = (): string => {
    const start = i;
    i += 1; // opening quote
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i += 1;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
  // Returns the duplicate's path, or undefined; leaves i just after the value.
  const value = (path: string): string | undefined => {
    skip();
    const c = text[i];
    if (c === '{') {
      i += 1;
      const keys = new Set<string>();
      skip();
      if (text[i] === '}') {
        i += 1;
        return undefined;
      }
      for (;;) {
        skip();
        const key = readString();
        if (keys.has(key)) return join(path, key);
        keys.add(key);
        skip();
        i += 1; // colon
        const found = value(join(path, key));
        if (found !== undefined) return found;
        skip();
        if (text[i++] === '}') return undefined;
      }
    }
    if (c === '[') {
      i += 1;
      skip();
      if (text[i] === ']') {
        i += 1;
        return undefined;
      }
      for (let index = 0; ; index += 1) {
        const found = value(`${path}[${index}]`);
        if (found !== undefined) return found;
        skip();
        if (text[i++] === ']') return undefined;
      }
    }
    if (c === '"') {
      readString();
      return undefined;
    }
    while (i < text.length && !WHITESPACE.has(text[i]) && text[i] !== ',' && text[i] !== '}' && text[i] !== ']') i += 1;
    return undefined;
  };
  return value('');
}
