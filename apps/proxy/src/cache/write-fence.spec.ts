import { WriteFence } from './write-fence';

/** One event around a read of index 1 (`read` starts it, `done` ends it). */
type Step = 'read' | 'done' | 'put' | 'acked' | 'put 2' | 'acked 2' | 'clr' | 'cleared';

function apply(fence: WriteFence, steps: readonly Step[]): number {
  let since = Number.NaN;
  for (const step of steps) {
    if (step === 'read') since = fence.readStarted([1]);
    else if (step === 'done') fence.readEnded([1]);
    else if (step === 'put') fence.writeStarted([1]);
    else if (step === 'acked') fence.writeEnded([1]);
    else if (step === 'put 2') fence.writeStarted([2]);
    else if (step === 'acked 2') fence.writeEnded([2]);
    else if (step === 'clr') fence.clearStarted();
    else fence.clearEnded();
  }
  return since;
}

/**
 * Each row: what happened around a read of index 1; then mayStore (whether the read may cache
 * the value the server sent it) and writeBeganSince (whether a write went upstream after the
 * read, so that asking the server again would read it).
 */
const SCENARIOS: [string, Step[], boolean, boolean][] = [
  ['no write at all', ['read'], true, false],
  ['a write on another index', ['read', 'put 2', 'acked 2'], true, false],
  ['a write that ended before the read', ['put', 'acked', 'read'], true, false],
  ['a CLR that ended before the read', ['clr', 'cleared', 'read'], true, false],
  ['a write in flight since before the read', ['put', 'read'], false, false],
  // Its outcome may be unknown (a timeout): the read's value may be older than the server's.
  ['a write begun before the read, ended during it', ['put', 'read', 'acked'], false, false],
  ['a CLR in flight since before the read', ['clr', 'read'], false, false],
  ['a write that began during the read', ['read', 'put'], false, true],
  ['a write that began and ended during the read', ['read', 'put', 'acked'], false, true],
  ['a CLR that began and ended during the read', ['read', 'clr', 'cleared'], false, true],
  // The fence keeps no history of an index no read waits for, so it answers safely.
  ['a read that has ended', ['read', 'done'], false, true],
];

describe('WriteFence', () => {
  describe('writing', () => {
    it('is true for an index only while a write on it is in flight', () => {
      const fence = new WriteFence();
      expect(fence.writing(1)).toBe(false);
      fence.writeStarted([1, 2]);
      expect([fence.writing(1), fence.writing(2), fence.writing(3)]).toEqual([true, true, false]);
      fence.writeEnded([1, 2]);
      expect([fence.writing(1), fence.writing(2)]).toEqual([false, false]);
    });

    it('counts overlapping writes on one index, and repeated indices in one write', () => {
      const fence = new WriteFence();
      fence.writeStarted([4, 4]);
      fence.writeStarted([4]);
      fence.writeEnded([4, 4]);
      expect(fence.writing(4)).toBe(true);
      fence.writeEnded([4]);
      expect(fence.writing(4)).toBe(false);
    });

    it('is true for every index while a CLR is in flight', () => {
      const fence = new WriteFence();
      fence.clearStarted();
      fence.clearStarted();
      expect([fence.writing(0), fence.writing(99)]).toEqual([true, true]);
      fence.clearEnded();
      expect(fence.writing(0)).toBe(true);
      fence.clearEnded();
      expect(fence.writing(0)).toBe(false);
    });
  });

  describe.each(SCENARIOS)('after %s', (_name, steps, mayStore, writeBeganSince) => {
    it(`mayStore is ${mayStore}`, () => {
      const fence = new WriteFence();
      const since = apply(fence, steps);
      expect(fence.mayStore(1, since)).toBe(mayStore);
    });

    it(`writeBeganSince is ${writeBeganSince}`, () => {
      const fence = new WriteFence();
      const since = apply(fence, steps);
      expect(fence.writeBeganSince([1], since)).toBe(writeBeganSince);
    });
  });

  it('answers for all the indices a read waits for', () => {
    const fence = new WriteFence();
    const since = fence.readStarted([1, 2]);
    fence.writeStarted([2]);
    expect([fence.mayStore(1, since), fence.mayStore(2, since)]).toEqual([true, false]);
    expect([fence.writeBeganSince([1], since), fence.writeBeganSince([1, 2], since)]).toEqual([
      false,
      true,
    ]);
  });

  it('keeps an index history while any read still waits for it', () => {
    const fence = new WriteFence();
    const first = fence.readStarted([1]);
    const second = fence.readStarted([1]);
    fence.readEnded([1]);
    fence.writeStarted([1]);
    fence.writeEnded([1]);
    expect([fence.mayStore(1, first), fence.mayStore(1, second)]).toEqual([false, false]);
    expect(fence.writeBeganSince([1], second)).toBe(true);
    // A read started after that write may store again.
    const third = fence.readStarted([1]);
    expect([fence.mayStore(1, third), fence.writeBeganSince([1], third)]).toEqual([true, false]);
  });
});
