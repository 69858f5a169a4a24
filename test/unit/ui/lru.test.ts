import { LruMap } from '../../../src/ui/lru';

describe('LruMap', () => {
  it('forgets the least recently used entry past its capacity', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1).set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3);
    expect([lru.has('a'), lru.has('b'), lru.has('c'), lru.size]).toEqual([true, false, true, 2]);
  });

  it('stays bounded however many keys pass through', () => {
    const lru = new LruMap<number, string>(8);
    for (let i = 0; i < 60_000; i++) lru.set(i, `arn-${i}`);
    expect(lru.size).toBe(8);
    expect([...lru.values()]).toEqual(Array.from({ length: 8 }, (_, i) => `arn-${59_992 + i}`));
  });

  it('refuses a capacity that is not a positive integer, naming the value', () => {
    expect(() => new LruMap(0)).toThrow('LruMap capacity must be a positive integer. Received: 0');
  });
});
