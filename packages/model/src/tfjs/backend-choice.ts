/**
 * Which TensorFlow.js backend runs the models. tfjs-node(-gpu) cannot install on machines without access to
 * libtensorflow's download host, so it is never a dependency: it is used when the user installed it and it loads.
 */
export const backendChoices = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof backendChoices)[number];

export function parseBackendChoice(value: string | undefined): BackendChoice {
  const choice = value ?? 'auto';
  if ((backendChoices as readonly string[]).includes(choice)) return choice as BackendChoice;
  throw new Error(`unknown backend "${choice}" (from --backend or GOODHART_BACKEND); allowed: ${backendChoices.join(', ')}`);
}
