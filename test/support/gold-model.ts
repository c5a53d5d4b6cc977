/**
 * A tiny model gold for the test preset (pipelines/test.json keeps gold.kind "lexicon", so the stage tests stay
 * seconds long): a gold LM of its own ("gold": two layers of width 26, 2.3× the largest proxy's non-embedding parameters,
 * pretrained with the others), on 32 prompts × 8 samples at two temperatures and two lengths, and a human that
 * reads fluency (the reader counted from pretrain's training stream). Tests that exercise the model gold apply
 * this to a copy of the preset.
 */
export function useModelGold(config: Record<string, Record<string, unknown>>): void {
  config.models.gold = { layers: 2, dModel: 26, heads: 2, mlpRatio: 2 };
  const pretrain = config.pretrain as { sizes: string[] };
  if (!pretrain.sizes.includes('gold')) pretrain.sizes = [...pretrain.sizes, 'gold'];
  config.gold.kind = 'model';
  config.gold.fluencyWeight = 0.5;
  config.gold.readerOrder = 3;
  config.gold.model = {
    size: 'gold',
    prompts: 32,
    temperatures: [0.7, 1.3],
    responseTokens: [2, 12],
    samplesPerSetting: 2,
    validationFraction: 0.25,
    sampleBatchSize: 16,
    scoringBatchSize: 64,
    training: { epochs: 2, batchSize: 16, learningRate: 0.001, warmupSteps: 2 },
  };
}
