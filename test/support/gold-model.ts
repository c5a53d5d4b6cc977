/**
 * A tiny model gold for the test preset (pipelines/test.json keeps gold.kind "lexicon", so the stage tests stay
 * seconds long): the `small` LM (the largest proxy size) as the gold RM, on 32 prompts × 8 samples at two
 * temperatures and two lengths. Tests that exercise the model gold apply this to a copy of the preset.
 */
export function useModelGold(config: Record<string, Record<string, unknown>>): void {
  config.gold.kind = 'model';
  config.gold.model = {
    size: 'small',
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
