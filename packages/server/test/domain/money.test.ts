import { describe, expect, it } from 'vitest';
import { maxBig, microsFromDecimal, microsFromNumber, minBig } from '../../src/domain/money.js';
import { formatMicros, numberFromMicros, usageText } from '../../src/http/format.js';

describe('money in micro-units', () => {
  it('reads decimal text exactly, rounding half up at the sixth decimal', () => {
    expect(microsFromDecimal('0')).toBe(0n);
    expect(microsFromDecimal('12.5')).toBe(12_500_000n);
    expect(microsFromDecimal('0.0000005')).toBe(1n);
    expect(microsFromDecimal('0.00000049')).toBe(0n);
    expect(microsFromDecimal('1.9999995')).toBe(2_000_000n);
    expect(microsFromDecimal(' 3 ')).toBe(3_000_000n);
  });

  it('reads exponent forms in both directions', () => {
    expect(microsFromDecimal('1e3')).toBe(1_000_000_000n);
    expect(microsFromDecimal('2.5E-3')).toBe(2_500n);
    expect(microsFromDecimal('5e-7')).toBe(1n);
    expect(microsFromDecimal('9999999999')).toBe(9_999_999_999_000_000n);
  });

  it('refuses what is not a non-negative decimal', () => {
    for (const text of ['-1', '', '.', 'abc', '1.2.3', '0x10', 'Infinity']) {
      expect(() => microsFromDecimal(text), text).toThrow(RangeError);
    }
  });

  it('reads a JSON number as written (its shortest round-trip form)', () => {
    expect(microsFromNumber(0.1)).toBe(100_000n);
    expect(microsFromNumber(0.3)).toBe(300_000n);
    expect(microsFromNumber(1e-7)).toBe(0n);
    expect(microsFromNumber(123456.789)).toBe(123_456_789_000n);
    for (const bad of [-0.01, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => microsFromNumber(bad)).toThrow(RangeError);
  });

  it('beyond 2^53 micro-units stays exact', () => {
    const big = microsFromDecimal('9007199254.740993');
    expect(big).toBe(9_007_199_254_740_993n);
    expect(formatMicros(big)).toBe('9007199254.740993');
  });

  it('formats at the edge: 4 decimals for usage, numbers for limits and balances', () => {
    expect(usageText(0n)).toBe('0.0000');
    expect(usageText(4_200_000n)).toBe('4.2000');
    expect(usageText(49n)).toBe('0.0000');
    expect(usageText(50n)).toBe('0.0001');
    expect(formatMicros(-1_500_000n, 2)).toBe('-1.50');
    expect(formatMicros(1_234_567n, 0)).toBe('1');
    expect(numberFromMicros(25_000_000n)).toBe(25);
    expect(numberFromMicros(100_000n)).toBe(0.1);
  });

  it('min and max of bigints', () => {
    expect(minBig(3n, -2n)).toBe(-2n);
    expect(maxBig(3n, -2n)).toBe(3n);
  });
});
