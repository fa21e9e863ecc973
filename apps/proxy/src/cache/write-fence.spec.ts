import { WriteFence } from './write-fence';

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

  describe('mayStore', () => {
    it('lets a read store what it fetched when no write came near its indices', () => {
      const fence = new WriteFence();
      const since = fence.readStarted([1, 2]);
      fence.writeStarted([3]);
      fence.writeEnded([3]);
      expect([fence.mayStore(1, since), fence.mayStore(2, since)]).toEqual([true, true]);
    });

    it('lets a read store after writes that ended before it started', () => {
      const fence = new WriteFence();
      fence.writeStarted([1]);
      fence.writeEnded([1]);
      fence.clearStarted();
      fence.clearEnded();
      const since = fence.readStarted([1]);
      expect(fence.mayStore(1, since)).toBe(true);
    });

    it('refuses while a write on the index is in flight', () => {
      const fence = new WriteFence();
      fence.writeStarted([1]);
      const since = fence.readStarted([1]);
      expect(fence.mayStore(1, since)).toBe(false);
    });

    it('refuses once a write on the index began after the read started, even after it ended', () => {
      const fence = new WriteFence();
      const since = fence.readStarted([1]);
      fence.writeStarted([1]);
      fence.writeEnded([1]);
      expect(fence.mayStore(1, since)).toBe(false);
    });

    it('refuses once a write that was in flight when the read started has ended', () => {
      // Its outcome may be unknown (a timeout): the read's value may be older than the server's.
      const fence = new WriteFence();
      fence.writeStarted([1]);
      const since = fence.readStarted([1]);
      fence.writeEnded([1]);
      expect(fence.mayStore(1, since)).toBe(false);
    });

    it('refuses every index once a CLR began after the read started', () => {
      const fence = new WriteFence();
      const since = fence.readStarted([5, 6]);
      fence.clearStarted();
      fence.clearEnded();
      expect([fence.mayStore(5, since), fence.mayStore(6, since)]).toEqual([false, false]);
    });

    it('keeps an index history while any read still waits for it', () => {
      const fence = new WriteFence();
      const first = fence.readStarted([1]);
      const second = fence.readStarted([1]);
      fence.readEnded([1]);
      fence.writeStarted([1]);
      fence.writeEnded([1]);
      expect(fence.mayStore(1, second)).toBe(false);
      expect(fence.mayStore(1, first)).toBe(false);
      // A read started after that write may store again.
      const third = fence.readStarted([1]);
      expect(fence.mayStore(1, third)).toBe(true);
    });

    it('refuses an index no read waits for: its history is not kept', () => {
      const fence = new WriteFence();
      const since = fence.readStarted([1]);
      fence.readEnded([1]);
      expect(fence.mayStore(1, since)).toBe(false);
      expect(fence.mayStore(2, since)).toBe(false);
    });
  });

  describe('writeBeganSince', () => {
    it('is false for writes that began before the read started, even if they end after', () => {
      const fence = new WriteFence();
      fence.writeStarted([1]);
      fence.clearStarted();
      const since = fence.readStarted([1, 2]);
      fence.writeEnded([1]);
      fence.clearEnded();
      expect(fence.writeBeganSince([1, 2], since)).toBe(false);
    });

    it('is true once a write on one of the indices began after the read started', () => {
      const fence = new WriteFence();
      const since = fence.readStarted([1, 2]);
      fence.writeStarted([3]);
      expect(fence.writeBeganSince([1, 2], since)).toBe(false);
      fence.writeStarted([2]);
      expect(fence.writeBeganSince([1, 2], since)).toBe(true);
      expect(fence.writeBeganSince([1], since)).toBe(false);
    });

    it('is true for every index once a CLR began after the read started', () => {
      const fence = new WriteFence();
      const since = fence.readStarted([1]);
      fence.clearStarted();
      expect(fence.writeBeganSince([1], since)).toBe(true);
    });

    it('is true for an index no read waits for: its history is not kept', () => {
      const fence = new WriteFence();
      const since = fence.readStarted([1]);
      expect(fence.writeBeganSince([1, 2], since)).toBe(true);
    });
  });
});
