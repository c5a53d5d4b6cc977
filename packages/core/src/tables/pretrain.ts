import { defineTable } from '../columns.ts';

/** pretrain/loss_curve.parquet: every policy size's pretraining curve, one row per optimiser step. */
export const LOSS_CURVE_TABLE = defineTable('loss_curve.parquet', {
  size: { type: 'utf8', meaning: 'the policy size (a name in models)' },
  step: { type: 'int32', meaning: 'the optimiser step' },
  tokens: { type: 'float64', meaning: 'training tokens seen by the end of this step' },
  train_loss: { type: 'float64', meaning: "this step's training cross-entropy (nats per token)" },
  validation_loss: { type: 'float64', meaning: 'held-out cross-entropy (nats per token), on evaluation steps only (else null)' },
  learning_rate: { type: 'float64', meaning: "this step's learning rate" },
  gradient_norm: { type: 'float64', meaning: "the gradient's global norm at this step" },
});

/** pretrain/summary.parquet: one row per policy size, its shape, parameter counts and final loss. */
export const PRETRAIN_SUMMARY_TABLE = defineTable('summary.parquet', {
  size: { type: 'utf8', meaning: 'the policy size (a name in models)' },
  layers: { type: 'int32', meaning: 'transformer layers' },
  d_model: { type: 'int32', meaning: 'model width' },
  heads: { type: 'int32', meaning: 'attention heads' },
  parameters: { type: 'int32', meaning: 'all parameters' },
  non_embedding_parameters: { type: 'int32', meaning: 'parameters without the embeddings (the paper counts these)' },
  validation_loss: { type: 'float64', meaning: 'final held-out cross-entropy (nats per token)' },
  unigram_entropy: { type: 'float64', meaning: "the training corpus's unigram entropy: a no-context baseline (nats per token)" },
  unigram_validation_cross_entropy: {
    type: 'float64',
    meaning: 'a unigram model fitted on training tokens (add-one smoothed): its validation cross-entropy (nats per token)',
  },
});

/**
 * The Brown training documents as the LMs train on them: int32 little-endian token ids, end-of-text after every
 * sentence. The human's reader (@goodhart/gold) is counted from it.
 */
export const PRETRAIN_TRAIN_TOKENS_FILE = 'train-tokens.i32';
