/**
 * The compute precision of the matrix products: `fp32`, or `bf16` (bfloat16 products with float32 accumulation;
 * LayerNorm, softmax, the loss, the heads' outputs, AdamW and checkpoints stay float32). Only the native engine on a
 * CPU with AVX512_BF16 runs bf16; elsewhere the products run in fp32 and the log says why.
 */
export const precisionChoices = ['fp32', 'bf16'] as const;
export type Precision = (typeof precisionChoices)[number];

/** The precision named by `value` (undefined when unset), or an error naming where it came from. */
export function parsePrecision(value: string | undefined, source: string): Precision | undefined {
  if (value === undefined || value === '') return undefined;
  if ((precisionChoices as readonly string[]).includes(value)) return value as Precision;
  throw new Error(`${source}: unknown precision "${value}"; allowed: ${precisionChoices.join(', ')}`);
}
