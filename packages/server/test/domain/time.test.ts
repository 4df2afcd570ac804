import { describe, expect, it } from 'vitest';
import { DAY_MS, dayOf, nextEpochBegins, parseExpiry, periodStartDay } from '../../src/domain/time.js';

const at = (iso: string) => Date.parse(iso);

describe('limit periods and days', () => {
  it('a day is a UTC day: its last millisecond still belongs to it', () => {
    expect(dayOf(0)).toBe(0);
    expect(dayOf(DAY_MS - 1)).toBe(0);
    expect(dayOf(DAY_MS)).toBe(1);
    expect(dayOf(at('2026-03-01T00:00:00.000Z'))).toBe(at('2026-03-01T00:00:00.000Z') / DAY_MS);
  });

  it('the next epoch begins at the next 00:00:00.000Z, even from exactly midnight', () => {
    expect(nextEpochBegins(at('2026-01-15T12:00:00.000Z'))).toBe(at('2026-01-16T00:00:00.000Z'));
    expect(nextEpochBegins(at('2026-01-15T23:59:59.999Z'))).toBe(at('2026-01-16T00:00:00.000Z'));
    expect(nextEpochBegins(at('2026-01-16T00:00:00.000Z'))).toBe(at('2026-01-17T00:00:00.000Z'));
  });

  it('EPOCH starts today, MONTH on the 1st (UTC), LIFETIME at day 0', () => {
    const now = at('2026-02-28T23:59:59.999Z');
    expect(periodStartDay('EPOCH', now)).toBe(dayOf(at('2026-02-28T00:00:00Z')));
    expect(periodStartDay('MONTH', now)).toBe(dayOf(at('2026-02-01T00:00:00Z')));
    expect(periodStartDay('MONTH', now + 1)).toBe(dayOf(at('2026-03-01T00:00:00Z')));
    expect(periodStartDay('MONTH', at('2024-02-29T10:00:00Z'))).toBe(dayOf(at('2024-02-01T00:00:00Z')));
    expect(periodStartDay('MONTH', at('2026-12-31T23:59:59.999Z'))).toBe(dayOf(at('2026-12-01T00:00:00Z')));
    expect(periodStartDay('LIFETIME', now)).toBe(0);
  });
});

describe('expiry text', () => {
  it('accepts the three forms of the contract', () => {
    expect(parseExpiry('')).toBeNull();
    expect(parseExpiry('2026-05-01')).toBe(at('2026-05-01T00:00:00.000Z'));
    expect(parseExpiry('2026-05-01T10:20:30Z')).toBe(at('2026-05-01T10:20:30.000Z'));
    expect(parseExpiry('2026-05-01T10:20:30.123Z')).toBe(at('2026-05-01T10:20:30.123Z'));
    expect(parseExpiry('2028-02-29')).toBe(at('2028-02-29T00:00:00.000Z'));
  });

  it('refuses impossible instants and other forms', () => {
    for (const text of [
      '2026-02-30',
      '2026-02-29',
      '2026-13-01',
      '2026-04-31T00:00:00Z',
      '2026-05-01T24:00:00Z',
      '2026-05-01T10:60:00Z',
      '2026-05-01T10:20:30+02:00',
      '2026-05-01T10:20:30',
      '1969-12-31',
      '26-05-01',
      'tomorrow',
    ]) {
      expect(parseExpiry(text), text).toBeUndefined();
    }
  });
});
