/**
 * Config fields as dotted paths (`label.responseTokens`): what a registry entry reads, what Nx hashes for its tasks
 * (`{ json, fields }` inputs take the same paths) and what its manifest records.
 */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The part of `config` under the given paths, nested as in the config (`['seed', 'label.responseTokens']` →
 * `{ seed, label: { responseTokens } }`); paths absent from the config are left out.
 */
export function pickFields(config: unknown, paths: readonly string[]): Record<string, unknown> {
  const slice: Record<string, unknown> = {};
  for (const path of paths) {
    const keys = path.split('.');
    let from: unknown = config;
    for (const key of keys) from = isRecord(from) ? from[key] : undefined;
    if (from === undefined) continue;
    let into = slice;
    for (const key of keys.slice(0, -1)) {
      if (!isRecord(into[key])) into[key] = {};
      into = into[key] as Record<string, unknown>;
    }
    into[keys[keys.length - 1]] = from;
  }
  return slice;
}

/** Whether a task reading `fields` sees a change at `path` (a field equal to the path, or above or below it). */
export function readsField(fields: readonly string[], path: string): boolean {
  return fields.some((field) => field === path || path.startsWith(`${field}.`) || field.startsWith(`${path}.`));
}
