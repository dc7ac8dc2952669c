/**
 * What every fuzz test shares: how many inputs to run, the seed, the byte mutations applied to captured streams,
 * and the random splits that network reads would cut them into.
 *
 * `npm test` runs a short, deterministic seed run. `npm run fuzz` runs the long one: HOMEGATE_FUZZ_RUNS inputs per
 * parser (10^6 unless set), shared among its properties, with a random seed unless HOMEGATE_FUZZ_SEED pins it. A
 * failure prints the seed and the path that replay it (fast-check's `seed` and `path` options).
 */
import type { TestContext } from 'node:test';
import fc from 'fast-check';

/**
 * Inputs for one property: `seedRuns` in the seed run; in a long run, its `share` of HOMEGATE_FUZZ_RUNS, the inputs
 * per parser (a parser's properties' shares add up to 1).
 */
export function fuzzRuns(seedRuns: number, share: number): number {
  const perParser = Number(process.env.HOMEGATE_FUZZ_RUNS);
  return Number.isInteger(perParser) && perParser > 0 ? Math.ceil(perParser * share) : seedRuns;
}

/** Fixed for the seed run (reproducible in CI); random for a long run unless HOMEGATE_FUZZ_SEED pins it. */
function fuzzSeed(): number {
  const pinned = Number(process.env.HOMEGATE_FUZZ_SEED);
  if (process.env.HOMEGATE_FUZZ_SEED && Number.isInteger(pinned)) return pinned;
  return process.env.HOMEGATE_FUZZ_RUNS ? Math.floor(Math.random() * 0x7fffffff) : 0x5eed;
}

/** Runs `property` for fuzzRuns(seedRuns, share) inputs and reports the count, seed and duration. */
export async function check<T>(
  t: TestContext,
  property: fc.IProperty<T> | fc.IAsyncProperty<T>,
  seedRuns: number,
  share: number,
): Promise<void> {
  const numRuns = fuzzRuns(seedRuns, share);
  const seed = fuzzSeed();
  const started = performance.now();
  await fc.assert(property, { numRuns, seed });
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`${numRuns} inputs, seed ${seed}, ${seconds.toFixed(1)} s`);
}

/** Values that break length fields: zero, one, sign and width edges. */
const INTERESTING_U32 = [0, 1, 2, 7, 8, 9, 10, 0x7d, 0x7e, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000];
const INTERESTING_TAIL = [0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | {
      readonly kind: 'number';
      readonly at: number;
      readonly width: 1 | 2 | 4;
      readonly bigEndian: boolean;
      readonly value: number;
    };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constant('set'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('insert'),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('delete'), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('duplicate'), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('truncate'), at: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('number'),
      at: fc.nat(),
      width: fc.constantFrom(1 as const, 2 as const, 4 as const),
      bigEndian: fc.boolean(),
      value: fc.oneof(fc.constantFrom(...INTERESTING_U32, ...INTERESTING_TAIL), fc.nat()),
    }),
    weight: 3,
  },
);

/** `input` with one mutation applied (positions taken modulo the length); a new buffer, `input` is untouched. */
function applyMutation(input: Buffer, m: Mutation): Buffer {
  const at = input.length === 0 ? 0 : m.at % input.length;
  switch (m.kind) {
    case 'flip':
    case 'set':
    case 'number': {
      const out = Buffer.from(input);
      if (out.length === 0) return out;
      if (m.kind === 'flip') out[at] ^= 1 << m.bit;
      else if (m.kind === 'set') out[at] = m.value;
      else {
        const width = Math.min(m.width, out.length - at);
        const value = m.value % 2 ** (8 * width);
        if (m.bigEndian) out.writeUIntBE(value, at, width);
        else out.writeUIntLE(value, at, width);
      }
      return out;
    }
    case 'insert':
      return Buffer.concat([input.subarray(0, at), m.bytes, input.subarray(at)]);
    case 'delete':
      return Buffer.concat([input.subarray(0, at), input.subarray(at + m.length)]);
    case 'duplicate':
      return Buffer.concat([input.subarray(0, at + m.length), input.subarray(at)]);
    case 'truncate':
      return Buffer.from(input.subarray(0, at));
  }
}

/** A seed, unchanged or with 1-6 mutations: what a fuzzer derives from captured traffic. */
export function mutated(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 0, maxLength: 6 }))
    .map(([seed, mutations]) => mutations.reduce(applyMutation, seed));
}

/** Random bytes, for inputs that owe nothing to a seed. */
export const randomBytes = (maxLength = 256): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes));

/** Cut points for splitting an input as socket reads would: none, a few anywhere, or every byte. */
export const splits: fc.Arbitrary<readonly number[] | 'bytewise'> = fc.oneof(
  { arbitrary: fc.constant([]), weight: 1 },
  { arbitrary: fc.array(fc.nat(), { maxLength: 8 }), weight: 4 },
  { arbitrary: fc.constant('bytewise' as const), weight: 1 },
);

/** Inputs are split byte by byte up to here, the rest in one piece: a whole capture byte by byte is slow to run. */
const MAX_BYTEWISE = 512;

/** `input` cut at `cuts` (positions modulo its length), as fresh copies: parsers may write into what they read. */
export function splitInput(input: Buffer, cuts: readonly number[] | 'bytewise'): Buffer[] {
  if (input.length === 0) return [];
  const points =
    cuts === 'bytewise'
      ? Array.from({ length: Math.min(input.length - 1, MAX_BYTEWISE) }, (_, i) => i + 1)
      : [...new Set(cuts.map((cut) => cut % input.length))].filter((cut) => cut > 0).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, input.length]) {
    pieces.push(Buffer.from(input.subarray(start, point)));
    start = point;
  }
  return pieces;
}
