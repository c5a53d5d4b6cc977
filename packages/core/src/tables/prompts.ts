import { defineTable } from '../columns.ts';

/** The columns every prompts table has: pretrain's prompts, label's evaluation prompts, best-of-n's pool prompts. */
export const PROMPT_COLUMNS = {
  prompt_id: { type: 'int32', meaning: 'the prompt, numbered by pretrain in the order it wrote them' },
  text: { type: 'utf8', meaning: "the prompt's text: the opening words of a held-out sentence" },
  tokens: { type: 'int32list', meaning: 'the text in BPE tokens of the preset tokenizer' },
} as const;

/** pretrain/prompts.parquet: the prompts for later stages, with the document each came from. */
export const PRETRAIN_PROMPTS_TABLE = defineTable('prompts.parquet', {
  ...PROMPT_COLUMNS,
  document: { type: 'utf8', meaning: 'the Brown corpus document the sentence opens' },
  genre: { type: 'utf8', meaning: "that document's genre" },
});

/** label/eval_prompts.parquet: prompts held out from RM training, for best-of-n and RL evaluation. */
export const EVAL_PROMPTS_TABLE = defineTable('eval_prompts.parquet', PROMPT_COLUMNS);

/** bon/pool/prompts.parquet: the prompts of the best-of-n pool. */
export const POOL_PROMPTS_TABLE = defineTable('prompts.parquet', PROMPT_COLUMNS);

/** Any of the prompts tables, as their readers see them. */
export const PROMPTS_TABLE = defineTable('prompts.parquet', PROMPT_COLUMNS);
