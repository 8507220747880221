#!/usr/bin/env node
// Builds a tiny BERT-shaped test encoder for the `wordpiece` code path: a small Hugging Face
// tokenizer.json (BertNormalizer, BertPreTokenizer, WordPiece vocab, [CLS] … [SEP] template) and
// an ONNX model with the same inputs and output as an exported all-MiniLM-L6-v2
// (input_ids, attention_mask, token_type_ids → last_hidden_state [batch, sequence, dim]):
//   tanh(word_embedding[input_ids] + type_embedding[token_type_ids]) × attention_mask.
// The encoder spec asks for mean pooling and L2 normalisation, done by the shared JavaScript code
// exactly as for MiniLM. Deterministic from the seed.
//
// Usage: node packages/encoder/scripts/generate-tiny-wordpiece.mjs [outDir]
//   (default outDir: packages/encoder/test/fixtures/tiny-wordpiece)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DataType,
  createPrng,
  initializer,
  node,
  normalish,
  serializeModel,
  valueInfo,
} from './onnx-writer.mjs';

const SEED = 7;
const DIM = 32;
const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = [
  'the',
  'a',
  'and',
  'of',
  'to',
  'in',
  'for',
  'on',
  'with',
  'run',
  'shoe',
  'sale',
  'cheap',
  'fresh',
  'organic',
  'food',
  'vegetable',
  'travel',
  'hotel',
  'flight',
  'book',
  'news',
  'sport',
  'car',
  'cafe',
  'coffee',
  'city',
  'world',
];
const SUFFIXES = ['##s', '##ing', '##ed', '##er', '##ning'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PUNCTUATION = ['.', ',', '!', '?', "'", '-'];
const CJK = ['東', '京', '世', '界'];

/** @returns {string[]} the vocabulary, id = index */
export function tinyVocab() {
  return [
    ...SPECIAL,
    ...PUNCTUATION,
    ...WORDS,
    ...SUFFIXES,
    ...LETTERS.split(''),
    ...LETTERS.split('').map((c) => `##${c}`),
    ...CJK,
  ];
}

/** @returns {object} a Hugging Face tokenizer.json in the format of bert-base-uncased / all-MiniLM-L6-v2 */
export function tinyTokenizerJson() {
  const vocab = tinyVocab();
  const id = (t) => vocab.indexOf(t);
  const special = (content) => ({
    id: id(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const sp = (t) => ({ SpecialToken: { id: t, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map(special),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [sp('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, sp('[SEP]')],
      pair: [
        sp('[CLS]'),
        { Sequence: { id: 'A', type_id: 0 } },
        sp('[SEP]'),
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

/** @returns {Uint8Array} the ONNX model */
export function buildTinyWordpieceModel() {
  const vocabSize = tinyVocab().length;
  const next = createPrng(SEED);
  const draw = (n) => Float32Array.from({ length: n }, () => normalish(next) * 0.5);
  return serializeModel({
    name: 'privads-tiny-wordpiece-test',
    doc: 'Tiny BERT-shaped test model (not a real language model): tanh(word + type embedding) × mask.',
    initializers: [
      initializer('word_embeddings', DataType.FLOAT, [vocabSize, DIM], draw(vocabSize * DIM)),
      initializer('token_type_embeddings', DataType.FLOAT, [2, DIM], draw(2 * DIM)),
      initializer('axis_hidden', DataType.INT64, [1], BigInt64Array.of(2n)),
    ],
    inputs: [
      valueInfo('input_ids', DataType.INT64, ['batch', 'sequence']),
      valueInfo('attention_mask', DataType.INT64, ['batch', 'sequence']),
      valueInfo('token_type_ids', DataType.INT64, ['batch', 'sequence']),
    ],
    outputs: [valueInfo('last_hidden_state', DataType.FLOAT, ['batch', 'sequence', DIM])],
    nodes: [
      node('Gather', ['word_embeddings', 'input_ids'], ['words'], {
        axis: { int: true, value: 0 },
      }),
      node('Gather', ['token_type_embeddings', 'token_type_ids'], ['types'], {
        axis: { int: true, value: 0 },
      }),
      node('Add', ['words', 'types'], ['summed']),
      node('Tanh', ['summed'], ['hidden']),
      node('Cast', ['attention_mask'], ['mask_float'], {
        to: { int: true, value: DataType.FLOAT },
      }),
      node('Unsqueeze', ['mask_float', 'axis_hidden'], ['mask_3d']),
      node('Mul', ['hidden', 'mask_3d'], ['last_hidden_state']),
    ],
    metadata: {
      'privads.purpose': 'test fixture for the wordpiece path',
      'privads.seed': String(SEED),
    },
  });
}

/** The spec: mean pooling and L2 normalisation in JavaScript, as for all-MiniLM-L6-v2. */
export function tinySpecJson() {
  return {
    format: 'privads-encoder',
    version: 1,
    id: 'privads-tiny-wordpiece-test-v1',
    dim: DIM,
    model: { file: 'model.onnx' },
    tokenizer: { kind: 'wordpiece', file: 'tokenizer.json', maxTokens: 16 },
    pooling: 'mean',
    normalize: 'l2',
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outDir =
    process.argv[2] ?? fileURLToPath(new URL('../test/fixtures/tiny-wordpiece/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const model = buildTinyWordpieceModel();
  writeFileSync(join(outDir, 'model.onnx'), model);
  writeFileSync(
    join(outDir, 'tokenizer.json'),
    `${JSON.stringify(tinyTokenizerJson(), null, 2)}\n`,
  );
  writeFileSync(join(outDir, 'encoder.json'), `${JSON.stringify(tinySpecJson(), null, 2)}\n`);
  console.log(`wrote ${outDir} (model ${model.length} bytes)`);
}
