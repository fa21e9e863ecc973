/** What a benchmark sends: the operation mix and how keys are drawn. */

export type Distribution = 'uniform' | 'zipf' | 'sequential';
export type BenchOp = 'GET' | 'PUT' | 'ADD';

export interface Mix {
  readonly GET: number;
  readonly PUT: number;
  readonly ADD: number;
}

/** Parses `get=80,put=15,add=5` (any subset, ratios need not add up to 100). */
export function parseMix(text: string): Mix {
  const mix = { GET: 0, PUT: 0, ADD: 0 };
  for (const part of text.split(',')) {
    const match = /^\s*(get|put|add)\s*=\s*(\d+(?:\.\d+)?)\s*$/i.exec(part);
    if (!match) throw new Error(`"${part}" is not OP=WEIGHT (for example get=80,put=20)`);
    mix[match[1].toUpperCase() as BenchOp] = Number(match[2]);
  }
  if (mix.GET + mix.PUT + mix.ADD <= 0) throw new Error('the mix needs a positive weight');
  return mix;
}

/** Draws keys from 0..keys-1. */
export function keyPicker(
  distribution: Distribution,
  keys: number,
  skew: number,
  random: () => number,
): () => number {
  switch (distribution) {
    case 'uniform':
      return () => Math.floor(random() * keys);
    case 'sequential': {
      let next = 0;
      return () => {
        const key = next;
        next = (next + 1) % keys;
        return key;
      };
    }
    case 'zipf': {
      // P(k) proportional to 1/(k+1)^skew; the cumulative table is searched by bisection.
      const cumulative = new Float64Array(keys);
      let total = 0;
      for (let k = 0; k < keys; k++) cumulative[k] = total += 1 / Math.pow(k + 1, skew);
      return () => {
        const target = random() * total;
        let low = 0;
        let high = keys - 1;
        while (low < high) {
          const middle = (low + high) >>> 1;
          if (cumulative[middle] < target) low = middle + 1;
          else high = middle;
        }
        return low;
      };
    }
  }
}

/** Makes the next message to send (without terminator). */
export function messageMaker(mix: Mix, pickKey: () => number, random: () => number): () => string {
  const total = mix.GET + mix.PUT + mix.ADD;
  const getBelow = mix.GET / total;
  const putBelow = (mix.GET + mix.PUT) / total;
  return () => {
    const draw = random();
    if (draw < getBelow) return `OP=GET;IND=${pickKey()};`;
    if (draw < putBelow) return `OP=PUT;IND=${pickKey()};DATA=${Math.floor(random() * 1_000_000)};`;
    return `OP=ADD;IND=${pickKey()},${pickKey()};`;
  };
}
