import { describe, it, expect } from 'vitest';
import { ProgressBar, formatSeconds } from '../src/progress';

function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 200, write: (s: string) => chunks.push(s) } };
}

describe('ProgressBar', () => {
  it('prints about one plain line per 10% without a terminal', () => {
    const { chunks, stream } = recorder(false);
    let t = 0;
    const bar = new ProgressBar({ total: 100, label: 'epoch 1/1', stream, now: () => t });
    for (let i = 0; i < 100; i++) {
      t += 100;
      bar.tick(1, `loss ${(1 / (i + 1)).toFixed(2)}`);
    }
    bar.done();
    // Lines at 10%, 20%, ..., 100%: ten of them, none with carriage returns.
    expect(chunks).toHaveLength(10);
    expect(chunks.every((c) => c.endsWith('\n') && !c.includes('\r'))).toBe(true);
    expect(chunks[0]).toMatch(/^epoch 1\/1 {2}10% 10\/100 eta 9s loss 0\.10\n$/);
    expect(chunks[9]).toMatch(/100% 100\/100 10s loss 0\.01/);
  });

  it('redraws one line on a terminal and ends it once', () => {
    const { chunks, stream } = recorder(true);
    const bar = new ProgressBar({ total: 4, stream, width: 8, now: () => 0 });
    bar.tick();
    bar.tick();
    expect(chunks[1]).toContain('[####----]  50% 2/4');
    expect(chunks.every((c) => c.startsWith('\r'))).toBe(true);
    bar.done('ok');
    bar.tick();
    expect(chunks).toHaveLength(3);
    expect(chunks[2]).toContain('[########] 100% 4/4');
    expect(chunks[2]!.endsWith('\n')).toBe(true);
  });

  it('validates its total and formats durations', () => {
    expect(() => new ProgressBar({ total: 0 })).toThrow(RangeError);
    expect(formatSeconds(42)).toBe('42s');
    expect(formatSeconds(185)).toBe('3m05s');
    expect(formatSeconds(3720)).toBe('1h02m');
    expect(formatSeconds(Number.NaN)).toBe('--');
  });
});
