import type { Clock } from '../clock.js';
import { type OpenedCursor, openCursor, signCursor, type WalkState } from './cursor.js';
import type { UsageEntry, UsageReader } from './ports.js';

export const DEFAULT_PAGE_SIZE = 1000;

/** What the first page of a walk may ask for; continuations carry it inside their cursor. */
export interface HistoryFilters {
  currency?: string | undefined;
  /** Inclusive. */
  startAt?: number | undefined;
  /** Exclusive. */
  endAt?: number | undefined;
  pageSize: number;
}

export interface HistoryPage {
  entries: UsageEntry[];
  nextCursor: string | null;
  /** When the page was read (CSV exports are stamped with it). */
  servedAt: number;
}

/**
 * The usage-history walk: ascending (timestamp, id), which is a total order, so a position is
 * unambiguous; bounded by the instant the walk began, so that usage recorded meanwhile neither
 * shifts nor lengthens it. Every entry that existed when the walk began is seen exactly once.
 */
export class UsageHistory {
  constructor(
    private readonly reader: UsageReader,
    private readonly clock: Clock,
    /** The first signs; every one opens (the others are those of secrets a rotation still accepts). */
    private readonly cursorKeys: readonly [Uint8Array, ...Uint8Array[]],
  ) {}

  firstPage(accountId: string, filters: HistoryFilters): Promise<HistoryPage> {
    const { startAt, ...rest } = filters;
    return this.#page(accountId, { ...rest, asOf: this.clock.now() }, startAt);
  }

  /** The walk a cursor continues, or why it cannot be continued. */
  openCursor(accountId: string, cursor: string): OpenedCursor {
    const now = this.clock.now();
    let opened: OpenedCursor = { ok: false, reason: 'invalid' };
    for (const key of this.cursorKeys) {
      opened = openCursor(key, accountId, cursor, now);
      if (opened.ok || opened.reason !== 'invalid') break;
    }
    return opened;
  }

  continueWalk(accountId: string, walk: WalkState): Promise<HistoryPage> {
    return this.#page(accountId, walk, undefined);
  }

  async #page(
    accountId: string,
    walk: Omit<WalkState, 'after'> & Partial<WalkState>,
    startAt: number | undefined,
  ): Promise<HistoryPage> {
    // One entry more than the page tells whether another page follows, so the last page says so itself.
    const rows = await this.reader.ledgerPage({
      accountId,
      currency: walk.currency,
      startAt,
      endAt: walk.endAt,
      asOf: walk.asOf,
      after: walk.after,
      limit: walk.pageSize + 1,
    });
    const entries = rows.slice(0, walk.pageSize);
    const last = entries.at(-1);
    const servedAt = this.clock.now();
    const nextCursor =
      rows.length > walk.pageSize && last
        ? signCursor(this.cursorKeys[0], accountId, { ...walk, after: { at: last.at, id: last.id } }, servedAt)
        : null;
    return { entries, nextCursor, servedAt };
  }
}
