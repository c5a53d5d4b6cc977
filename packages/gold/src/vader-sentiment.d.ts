// vader-sentiment 1.1.3 is a CommonJS webpack bundle without types; only the call the gold scorer uses is declared.
declare module 'vader-sentiment' {
  interface PolarityScores {
    neg: number;
    neu: number;
    pos: number;
    /** Normalised sum of valences, in [−1, 1]. */
    compound: number;
  }
  const vader: {
    SentimentIntensityAnalyzer: { polarity_scores(text: string): PolarityScores };
  };
  export = vader;
}
