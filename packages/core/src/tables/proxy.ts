import { defineTable } from '../columns.ts';

const METRIC_COLUMNS = {
  cell: { type: 'utf8', meaning: 'the grid cell, <size>-n<comparisons>-s<seed>' },
  size: { type: 'utf8', meaning: 'the RM size (a name in models)' },
  comparisons: { type: 'int32', meaning: 'training comparisons the RM saw' },
  seed: { type: 'int32', meaning: "the cell's seed" },
  parameters: { type: 'int32', meaning: 'all parameters of the RM' },
  non_embedding_parameters: { type: 'int32', meaning: 'parameters without the embeddings (the paper counts these)' },
  steps: { type: 'int32', meaning: 'optimiser steps taken' },
  final_train_loss: { type: 'float64', meaning: 'pairwise training loss at the last step (nats)' },
  validation_loss: { type: 'float64', meaning: 'pairwise loss on the held-out comparisons (nats)' },
  validation_accuracy: { type: 'float64', meaning: 'fraction of held-out labels the RM predicts' },
  validation_gold_accuracy: { type: 'float64', meaning: 'fraction of held-out gold preferences the RM predicts' },
  validation_human_accuracy: { type: 'float64', meaning: 'fraction of held-out human preferences (ties left out) the RM predicts' },
  temperature: { type: 'float64', meaning: 'calibration temperature fitted on held-out soft labels' },
  calibrated_cross_entropy: { type: 'float64', meaning: 'held-out cross-entropy after calibration (nats)' },
  shift: { type: 'float64', meaning: "added to the RM's output so the initial policy's mean proxy score is 0" },
} as const;

/** proxy/cells/<cell>/metrics.parquet: one row, the cell's metrics. */
export const CELL_METRICS_TABLE = defineTable('metrics.parquet', METRIC_COLUMNS);

/** proxy/summary/proxy_metrics.parquet: one row per grid cell. */
export const PROXY_METRICS_TABLE = defineTable('proxy_metrics.parquet', METRIC_COLUMNS);

/** proxy/cells/<cell>/curve.parquet: the RM's training curve, one row per optimiser step. */
export const PROXY_CURVE_TABLE = defineTable('curve.parquet', {
  step: { type: 'int32', meaning: 'the optimiser step, from 1' },
  epoch: { type: 'int32', meaning: 'the pass over the training comparisons this step belongs to, from 1' },
  loss: { type: 'float64', meaning: "this step's pairwise training loss (nats)" },
  learning_rate: { type: 'float64', meaning: "this step's learning rate" },
  gradient_norm: { type: 'float64', meaning: "the gradient's global norm at this step" },
});
