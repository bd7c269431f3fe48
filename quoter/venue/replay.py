"""Replay a recorded market (`mmsla.domain.RecordedMarket`) into the matching engine.

The recorded book is *other participants' displayed liquidity*. It lives in
the engine as resting orders of the system member `replay-book`, so members'
orders (ours) meet it with ordinary price-time priority: an order joins the
queue behind the displayed size at its price, and an order that crosses the
recorded book trades against it.

Queue-position model (per price level; "chunks" are the replay orders at the level):
- after every recorded frame the replay liquidity at each visible level is
  synced to the recorded size. An increase joins the back of the queue
  (behind us). A decrease is attributed first to recorded trades at that
  price since the previous timestamp (they consumed the front of the queue),
  the rest to cancels:
  - `conservative` (default): cancels come from the back of the queue, i.e.
    from behind our orders, so the queue ahead of us only shrinks when the
    level shrinks below our position;
  - `random`: each displayed lot is equally likely to be the cancelled one
    (a multivariate hypergeometric draw over the chunks; seeded).
- a recorded trade of size Q at price P by an aggressor fills our resting
  orders on the other side at prices better than P (the aggressor would have
  met them first), then, at P, whatever of Q is left after the displayed
  queue ahead of each of our orders. We are filled at our own price
  (`MatchingEngine.external_fill`); the recorded trade is printed once.
- a level missing from a frame is emptied of replay liquidity, unless the
  frame is full and the level lies beyond its worst visible price (it just
  scrolled out of view: kept as it was).
- no market impact: liquidity we take is displayed again at the next frame
  (every visible level is then re-synced to the recording).
- a recorded level that appears or grows through one of our resting orders on
  the other side trades with it at our price (we are the maker); the replay
  liquidity it lost is displayed again only when that level changes in the
  recording (the seller who met us is gone; the recording, made without us,
  still shows them).

Only levels whose recorded (price, size) changed since the previous frame are
touched, unless one of our orders traded against replay liquidity (or an
auction uncrossed) since: then every visible level is re-synced.

Recorded trades are applied just before the first frame whose timestamp is at
or after theirs. The driver paces: `next_event_ns()` gives the next frame's
timestamp, `step(now_ns)` applies every frame due (real time, a multiple or
as fast as possible is the caller's loop). Trading phases (e.g. LOBSTER
halts) can be scheduled with `phases`. No I/O here: reading files is `mmsla.io`.

For speed, replay liquidity is resized, added and removed directly in the
engine's book and live-order index (`MatchingEngine` internals, reached in
`ReplaySource.__init__` only) and the book is published once per frame; only
an entry that may trade (it crosses one of our orders) goes through
`MatchingEngine.submit`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from mmsla.domain import RecordedMarket, Side
from quoter.venue.book import BUY, SELL, BookSide, Order
from quoter.venue.events import (
    Accepted,
    BookChanged,
    Cancelled,
    Event,
    Replaced,
    TradingPhase,
)
from quoter.venue.matching import MatchingEngine

REPLAY = "replay-book"  # system member holding the recorded displayed liquidity
REPLAY_TAKER = "replay-trade"  # counterparty name on our fills from recorded trades


class QueueModel(StrEnum):
    CONSERVATIVE = "conservative"
    RANDOM = "random"


_LIFECYCLE = (Accepted, Cancelled, Replaced)


def queue_ahead(engine: MatchingEngine, order_id: int) -> int:
    """Displayed quantity ahead of a resting order in its level's queue."""
    o = engine.order(order_id)
    if o is None:
        raise KeyError(order_id)
    level = engine.book(o.symbol).side(o.side).level(o.px)
    assert level is not None
    ahead = 0
    for x in level.orders:
        if x is o:
            return ahead
        ahead += x.qty
    raise AssertionError("order not in its level")


class ReplaySource:
    """Feeds one recorded symbol into `engine` frame by frame.

    `engine` must know the symbol with the recording's tick and lot and list
    `REPLAY` as a system member. `phases` = (ts_ns, phase, reason) changes.

    Frames are applied incrementally: only the levels that differ from the previous
    frame are touched, and the replay liquidity is edited in place in the engine's
    book (it is a system member's: no lifecycle events, no protections), with one
    book publication per frame. A frame is compared against the whole book only when
    something other than this source traded since the last frame (one of our orders
    took replay liquidity, an auction uncrossed): recorded prints and the fills they
    give our orders do not touch replay liquidity.
    """

    def __init__(
        self,
        engine: MatchingEngine,
        market: RecordedMarket,
        *,
        queue_model: QueueModel = QueueModel.CONSERVATIVE,
        seed: int = 0,
        phases: Sequence[tuple[int, TradingPhase, str]] = (),
    ) -> None:
        book = market.book
        spec = engine.spec(book.symbol)
        if spec.tick != book.tick or spec.lot != book.lot:
            raise ValueError(
                f"{book.symbol}: venue tick/lot {spec.tick}/{spec.lot} differ from the "
                f"recording's {book.tick}/{book.lot}"
            )
        self.engine = engine
        self.symbol = book.symbol
        self.market = market
        self.queue_model = queue_model
        self._random = queue_model is QueueModel.RANDOM
        self._rng = np.random.default_rng(seed)
        self._ts: list[int] = book.ts_ns.tolist()
        self._n = len(self._ts)
        # per side: (sign, book side, price rows, size rows, frame diffs)
        self._rows = (
            (
                BUY,
                engine.book(book.symbol).bids,
                book.bid_px,
                book.bid_qty,
                _frame_diffs(book.bid_px, book.bid_qty),
            ),
            (
                SELL,
                engine.book(book.symbol).asks,
                book.ask_px,
                book.ask_qty,
                _frame_diffs(book.ask_px, book.ask_qty),
            ),
        )
        tr = market.trades
        self._tr_ts: list[int] = tr.ts_ns.tolist()
        self._tr_px: list[int] = tr.px.tolist()
        self._tr_qty: list[int] = tr.qty.tolist()
        self._tr_side: list[int] = tr.side.astype(np.int64).tolist()
        self._tr_frame: list[int] = np.searchsorted(book.ts_ns, tr.ts_ns, side="left").tolist()
        self._n_tr = len(self._tr_ts)
        self._phases = sorted(phases, key=lambda p: p[0])
        self._next_phase = 0
        self._next_frame = 0
        self._next_trade = 0
        self._consumed: dict[tuple[int, int], int] = {}  # (side, px) -> traded since last ts
        self._book = engine.book(self.symbol)
        self._synced = -2  # last frame synced (none yet)
        # engine.trade_count expected if only this source traded since the last sync
        self._expect_trades = engine.trade_count
        # The engine's internals this source edits replay liquidity through (one place):
        # the symbol state (dirty flags, book), the live-order index, the id counter and
        # the book publication. Replay orders are a system member's, so editing them in
        # place skips only what the engine would discard for them anyway (protections,
        # phases, lifecycle events) and the per-command publication.
        self._st = engine._sym[self.symbol]
        self._orders = engine._orders

    # ------------------------------------------------------------------ driving
    def __len__(self) -> int:
        return self._n

    @property
    def frames_done(self) -> int:
        return self._next_frame

    @property
    def done(self) -> bool:
        return self._next_frame >= self._n

    def next_event_ns(self) -> int | None:
        """Timestamp of the next frame, or None when the recording is exhausted."""
        k = self._next_frame
        return self._ts[k] if k < self._n else None

    def step(self, now_ns: int) -> list[Event]:
        """Apply every frame with timestamp <= now_ns (and the trades due before them)."""
        ts = self._ts
        n = self._n
        k = self._next_frame
        if k >= n or ts[k] > now_ns:
            return []
        events = self.step_frame()
        while self._next_frame < n and ts[self._next_frame] <= now_ns:
            events += self.step_frame()
        return events

    def step_frame(self) -> list[Event]:
        """Apply exactly one frame: due phase changes, trades before it, then the book sync.
        Returns the engine events without the replay book's own order lifecycle and
        with at most one BookChanged (the state after the frame)."""
        k = self._next_frame
        n = self._n
        if k >= n:
            return []
        ts = self._ts[k]
        raw: list[Event] = []
        if self._next_phase < len(self._phases):
            self._apply_phases(ts, raw)
        last = k + 1 >= n
        i = self._next_trade
        if i < self._n_tr and self._tr_frame[i] <= k:
            n_tr, tr_frame, trade = self._n_tr, self._tr_frame, self._trade
            while i < n_tr and tr_frame[i] <= k:
                trade(i, raw)
                i += 1
            self._next_trade = i
        self._sync(k, ts, raw)
        self._next_frame = k + 1
        if last or self._ts[k + 1] != ts:
            if self._consumed:
                self._consumed.clear()
            if last:  # trades after the last frame
                while self._next_trade < self._n_tr:
                    self._trade(self._next_trade, raw)
                    self._next_trade += 1
        if not raw:
            return raw
        if len(raw) == 1 and type(raw[0]) is BookChanged:
            return raw
        out: list[Event] = []
        last_book: BookChanged | None = None
        for e in raw:
            if isinstance(e, BookChanged):
                last_book = e
            elif not (isinstance(e, _LIFECYCLE) and e.member == REPLAY):
                out.append(e)
        if last_book is not None:
            out.append(last_book)
        return out

    # ---------------------------------------------------------------- internals
    def _apply_phases(self, ts: int, raw: list[Event]) -> None:
        while self._next_phase < len(self._phases) and self._phases[self._next_phase][0] <= ts:
            p_ts, phase, reason = self._phases[self._next_phase]
            raw += self.engine.set_phase(self.symbol, phase, p_ts, reason=reason)
            self._next_phase += 1

    def _trade(self, i: int, events: list[Event]) -> None:
        px, qty, aggressor = self._tr_px[i], self._tr_qty[i], self._tr_side[i]
        ts = self._tr_ts[i]
        engine = self.engine
        events.append(
            engine.print_trade(self.symbol, px, qty, Side.BUY if aggressor > 0 else Side.SELL, ts)
        )
        self._expect_trades += 1
        resting = SELL if aggressor > 0 else BUY
        side = self._book.side(resting)
        keys = side.keys
        levels = side.levels
        limit = resting * px
        left = qty
        # levels from the best down to the trade price (better-than-trade levels first)
        j = len(keys) - 1
        while left > 0 and j >= 0:
            key = keys[j]
            j -= 1
            if key < limit:
                break
            level = levels.get(key)
            if level is None:
                continue
            at_trade_px = key == limit
            filled = False
            for o in list(level.orders):
                if left <= 0:
                    break
                if not o.qty:
                    continue
                if o.member == REPLAY:
                    if at_trade_px:  # displayed queue consumed (virtually) from the front
                        take = min(left, o.qty)
                        left -= take
                        ck = (resting, px)
                        self._consumed[ck] = self._consumed.get(ck, 0) + take
                    continue
                take = min(left, o.qty)
                left -= take
                before = engine.trade_count
                events += engine.external_fill(o.order_id, take, ts, REPLAY_TAKER)
                self._expect_trades += engine.trade_count - before
                filled = True
            if filled:  # a fill may have dropped levels (ours, or all of ours by MMP)
                j = bisect_left(keys, key) - 1

    def _sync(self, k: int, ts: int, events: list[Event]) -> None:
        """Make the replay liquidity equal frame k. Only entries that differ from the
        previously synced frame are visited, unless replay liquidity may have been
        traded since (see the class docstring): then the whole frame is."""
        engine = self.engine
        tc = engine.trade_count
        full_sync = self._synced != k - 1 or tc != self._expect_trades
        self._expect_trades = tc
        grow: list[tuple[int, BookSide, int, int]] = []
        dirty = 0
        consumed = self._consumed
        for s, side, all_px, all_qty, (offsets, shifted, op_px, op_qty) in self._rows:
            if full_sync:  # rare: the frame's rows straight from the recording
                pxs, qtys = all_px[k].tolist(), all_qty[k].tolist()
                self._remove_missing(s, side, pxs, qtys)
            else:
                a, b = offsets[k], offsets[k + 1]
                row = shifted[k]
                if row is not None:
                    self._remove_missing(s, side, row[0], row[1])
                elif a == b:
                    continue
                pxs, qtys = op_px[a:b], op_qty[a:b]
            dirty |= (3 - s) >> 1
            levels = side.levels
            for px, want in zip(pxs, qtys, strict=True):
                if want <= 0:
                    continue
                level = levels.get(s * px)
                if level is None:
                    grow.append((s, side, px, want))
                    continue
                if level.count == 1:
                    dq = level.orders
                    o = dq[0] if len(dq) == 1 else next(o for o in dq if o.qty)
                    if o.member == REPLAY:
                        # the common case: one replay chunk alone at its level. Every queue
                        # model leaves it `want`; resizing in place keeps its (irrelevant)
                        # position and cannot cross anything
                        cur = o.qty
                        if want < cur and consumed:
                            ck = (s, px)
                            front = consumed.get(ck, 0)
                            if front:
                                consumed[ck] = front - min(cur - want, front)
                        if want != cur:
                            side.resize(o, want)
                        continue
                chunks = [o for o in level.orders if o.qty and o.member == REPLAY]
                cur = 0
                for o in chunks:
                    cur += o.qty
                if want < cur:
                    self._shrink(s, side, px, chunks, cur - want)
                elif want > cur:
                    grow.append((s, side, px, want - cur))
        # additions after all removals, so the recorded book never crosses itself in between
        for s, side, px, add in grow:
            self._grow(s, side, px, add, ts, events)
        if dirty:
            st = self._st
            st.dirty |= dirty
            engine._publish(st, ts, events)
        self._synced = k

    def _remove_missing(self, s: int, side: BookSide, pxs: list[int], qtys: list[int]) -> None:
        """Empty the replay liquidity at levels absent from the frame, except those beyond
        the worst price of a full frame (scrolled out of view: unknown, kept)."""
        target = {p for p, q in zip(pxs, qtys, strict=True) if q > 0}
        keys = side.keys
        # keys are s * px, best last: a full frame's visible range is key >= s * worst
        floor = s * pxs[-1] if len(target) == len(pxs) else keys[0] if keys else 0
        cand = []
        for i in range(len(keys) - 1, -1, -1):
            key = keys[i]
            if key < floor:
                break
            if s * key not in target:
                cand.append(key)
        for key in cand:
            level = side.levels.get(key)
            if level is None:
                continue
            for o in [o for o in level.orders if o.qty and o.member == REPLAY]:
                self._drop(side, o)

    def _drop(self, side: BookSide, o: Order) -> None:
        side.remove(o)
        del self._orders[o.order_id]

    def _shrink(self, s: int, side: BookSide, px: int, chunks: list[Order], d: int) -> None:
        sizes = [o.qty for o in chunks]
        ck = (s, px)
        front = min(d, self._consumed.get(ck, 0))
        if front:
            self._consumed[ck] -= front
            left = front
            for i in range(len(sizes)):
                take = min(left, sizes[i])
                sizes[i] -= take
                left -= take
                if not left:
                    break
        rest = d - front
        if rest:
            if self._random and len(chunks) > 1:
                cut = self._rng.multivariate_hypergeometric(sizes, rest).tolist()
                sizes = [a - b for a, b in zip(sizes, cut, strict=True)]
            else:
                for i in range(len(sizes) - 1, -1, -1):
                    take = min(rest, sizes[i])
                    sizes[i] -= take
                    rest -= take
                    if not rest:
                        break
        for o, new in zip(chunks, sizes, strict=True):
            if new == o.qty:
                continue
            if new == 0:
                self._drop(side, o)
            else:
                side.resize(o, new)  # in place: keeps its queue position

    def _grow(
        self, s: int, side: BookSide, px: int, add: int, ts: int, events: list[Event]
    ) -> None:
        level = side.levels.get(s * px)
        if level is not None:
            last = next((o for o in reversed(level.orders) if o.qty), None)
            if last is not None and last.member == REPLAY:
                # already at the back of the queue: enlarging it in place is the same as
                # queueing the extra lots behind it (nothing can cross an occupied level)
                side.resize(last, last.qty + add)
                return
        opp = self._book.asks if s == BUY else self._book.bids
        if opp.keys and s * px + opp.keys[-1] >= 0:
            # it meets one of our resting orders: the engine matches it (we are the maker)
            events += self.engine.submit(
                REPLAY, self.symbol, Side.BUY if s == BUY else Side.SELL, px, add, ts
            )
            self._expect_trades = self.engine.trade_count  # the replay's own doing
            return
        engine = self.engine
        oid = engine._next_order_id
        engine._next_order_id = oid + 1
        o = Order(oid, REPLAY, self.symbol, s, px, add)
        side.append(o)
        self._orders[oid] = o


def _frame_diffs(
    px: npt.NDArray[np.int64], qty: npt.NDArray[np.int64]
) -> tuple[list[int], list[tuple[list[int], list[int]] | None], list[int], list[int]]:
    """One side's changes between consecutive frames, computed once for the recording.

    Returns (offsets, shifted, op_px, op_qty): the non-empty entries (price, size) of
    frame k that were not in frame k - 1 are op_px/op_qty[offsets[k]:offsets[k + 1]] in
    frame order (frame 0: all of them); shifted[k] is
    the frame's (prices, sizes) when its prices differ from the previous frame's
    (levels may have gone), else None. The per-frame sync then touches only those
    entries, and only frames that shift are turned into Python lists.
    """
    n, depth = px.shape
    new = np.ones((n, depth), dtype=bool)
    shifted = np.ones(n, dtype=bool)
    if n > 1:
        same = (px[1:, :, None] == px[:-1, None, :]) & (qty[1:, :, None] == qty[:-1, None, :])
        new[1:] = ~same.any(axis=2)
        shifted[1:] = (px[1:] != px[:-1]).any(axis=1)
    new &= qty > 0
    frame, slot = np.nonzero(new)  # row-major: frame order, then slot order
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(frame, minlength=n), out=offsets[1:])
    rows: list[tuple[list[int], list[int]] | None] = [None] * n
    at = np.flatnonzero(shifted)
    for k, p, q in zip(at.tolist(), px[at].tolist(), qty[at].tolist(), strict=True):
        rows[k] = (p, q)
    return offsets.tolist(), rows, px[frame, slot].tolist(), qty[frame, slot].tolist()


def lobster_phases(halts: Sequence[tuple[int, str]]) -> list[tuple[int, TradingPhase, str]]:
    """LOBSTER type-7 rows (ts_ns, kind halt|quoting|resume) -> phase schedule."""
    mapping = {
        "halt": TradingPhase.HALT,
        "quoting": TradingPhase.AUCTION,
        "resume": TradingPhase.OPEN,
    }
    return [(ts, mapping[kind], f"lobster {kind}") for ts, kind in halts]


def release_at_ns(
    event_ns: int, first_event_ns: int, start_wall_ns: int, speed_x: float | None
) -> int:
    """Wall-clock time (ns) at which a recorded event is due when replaying at `speed_x`
    times real time from `start_wall_ns` (None = as fast as possible: due at once)."""
    if speed_x is None:
        return start_wall_ns
    if speed_x <= 0:
        raise ValueError("speed_x must be positive")
    return start_wall_ns + round((event_ns - first_event_ns) / speed_x)
