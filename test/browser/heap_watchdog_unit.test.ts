/**
 * HeapWatchdog's bookkeeping with a fake measurement (no browser): which
 * bytes count for a worker, one measurement at a time, polling only while
 * something is watched, and stopping for good when measuring fails.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeapWatchdog, bytesByUrl, heapWatchdogUnavailable, type MemoryMeasurement } from '../../src/host/browser_heap_watchdog.js';

const W = (url: string, bytes: number) => ({ bytes, attribution: [{ url, scope: 'DedicatedWorkerGlobalScope' }], types: ['JavaScript'] });
const MB = 1024 * 1024;

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('HeapWatchdog', () => {
  it('counts only entries attributed to one URL alone, summing them', () => {
    const m: MemoryMeasurement = {
      bytes: 0,
      breakdown: [W('a#1', 10), W('a#1', 5), W('a#2', 7), { bytes: 99, attribution: [{ url: 'a#1' }, { url: 'a#2' }], types: [] }, { bytes: 3, attribution: [], types: ['Shared'] }],
    };
    expect([...bytesByUrl(m)]).toEqual([['a#1', 15], ['a#2', 7]]);
  });

  it('ends only the watch over its limit, once, and keeps polling the others until unwatched', async () => {
    let heap = 10 * MB;
    const measure = vi.fn(async (): Promise<MemoryMeasurement> => ({ bytes: 0, breakdown: [W('hog', heap), W('calm', 1 * MB)] }));
    const dog = new HeapWatchdog({ intervalMs: 1000, measure });
    const hog = vi.fn();
    const calm = vi.fn();
    dog.watch('hog', 32 * MB, hog);
    const unwatchCalm = dog.watch('calm', 32 * MB, calm);
    await vi.advanceTimersByTimeAsync(1000);
    expect(measure).toHaveBeenCalledTimes(1);
    expect(hog).not.toHaveBeenCalled();
    heap = 40 * MB;
    await vi.advanceTimersByTimeAsync(1000);
    expect(hog).toHaveBeenCalledExactlyOnceWith(40 * MB);
    expect(dog.size).toBe(1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(hog).toHaveBeenCalledTimes(1);
    expect(calm).not.toHaveBeenCalled();
    const n = measure.mock.calls.length;
    expect(n).toBeGreaterThanOrEqual(4);
    unwatchCalm();
    await vi.advanceTimersByTimeAsync(5000);
    expect(measure.mock.calls.length).toBeLessThanOrEqual(n + 1);
    expect(dog.size).toBe(0);
  });

  it('never has two measurements in flight', async () => {
    let resolve: (m: MemoryMeasurement) => void = () => {};
    const measure = vi.fn(() => new Promise<MemoryMeasurement>((r) => { resolve = r; }));
    const dog = new HeapWatchdog({ intervalMs: 100, measure });
    dog.watch('w', MB, () => {});
    await vi.advanceTimersByTimeAsync(5000);
    expect(measure).toHaveBeenCalledTimes(1);
    resolve({ bytes: 0, breakdown: [] });
    await vi.advanceTimersByTimeAsync(100);
    expect(measure).toHaveBeenCalledTimes(2);
  });

  it('stops for good and says so once when measuring fails', async () => {
    const measure = vi.fn(async (): Promise<MemoryMeasurement> => { throw new Error('SecurityError'); });
    const onBroken = vi.fn();
    const dog = new HeapWatchdog({ intervalMs: 100, measure, onBroken });
    dog.watch('w', MB, () => {});
    await vi.advanceTimersByTimeAsync(1000);
    dog.watch('v', MB, () => {});
    await vi.advanceTimersByTimeAsync(1000);
    expect(measure).toHaveBeenCalledTimes(1);
    expect(onBroken).toHaveBeenCalledTimes(1);
  });

  it('is unavailable in Node (no measureUserAgentSpecificMemory) and says why', () => {
    expect(heapWatchdogUnavailable()).toMatch(/measureUserAgentSpecificMemory\(\) is unavailable/);
  });
});
