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
- no market impact: liquidity we take is displayed again at the next frame.

Recorded trades are applied just before the first frame whose timestamp is at
or after theirs. The driver paces: `next_event_ns()` gives the next frame's
timestamp, `step(now_ns)` applies every frame due (real time, a multiple or
as fast as possible is the caller's loop). Trading phases (e.g. LOBSTER
halts) can be scheduled with `phases`. No I/O here: reading files is `mmsla.io`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import numpy as np

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
        self._rng = np.random.default_rng(seed)
        self._ts: list[int] = book.ts_ns.tolist()
        self._bid_px: list[list[int]] = book.bid_px.tolist()
        self._bid_qty: list[list[int]] = book.bid_qty.tolist()
        self._ask_px: list[list[int]] = book.ask_px.tolist()
        self._ask_qty: list[list[int]] = book.ask_qty.tolist()
        tr = market.trades
        self._tr_ts: list[int] = tr.ts_ns.tolist()
        self._tr_px: list[int] = tr.px.tolist()
        self._tr_qty: list[int] = tr.qty.tolist()
        self._tr_side: list[int] = tr.side.astype(np.int64).tolist()
        self._tr_frame: list[int] = np.searchsorted(book.ts_ns, tr.ts_ns, side="left").tolist()
        self._phases = sorted(phases, key=lambda p: p[0])
        self._next_phase = 0
        self._next_frame = 0
        self._next_trade = 0
        self._levels: dict[int, set[int]] = {BUY: set(), SELL: set()}  # px with replay liquidity
        self._consumed: dict[tuple[int, int], int] = {}  # (side, px) -> traded since last ts
        self._book = engine.book(self.symbol)
        self._synced: int | None = None  # last frame synced
        self._synced_trades = 0

    # ------------------------------------------------------------------ driving
    def __len__(self) -> int:
        return len(self._ts)

    @property
    def frames_done(self) -> int:
        return self._next_frame

    @property
    def done(self) -> bool:
        return self._next_frame >= len(self._ts)

    def next_event_ns(self) -> int | None:
        """Timestamp of the next frame, or None when the recording is exhausted."""
        return self._ts[self._next_frame] if self._next_frame < len(self._ts) else None

    def step(self, now_ns: int) -> list[Event]:
        """Apply every frame with timestamp <= now_ns (and the trades due before them)."""
        events: list[Event] = []
        ts = self._ts
        while self._next_frame < len(ts) and ts[self._next_frame] <= now_ns:
            events += self.step_frame()
        return events

    def step_frame(self) -> list[Event]:
        """Apply exactly one frame: due phase changes, trades before it, then the book sync.
        Returns the engine events without the replay book's own order lifecycle and
        with at most one BookChanged (the state after the frame)."""
        k = self._next_frame
        if k >= len(self._ts):
            return []
        ts = self._ts[k]
        raw: list[Event] = []
        engine = self.engine
        while self._next_phase < len(self._phases) and self._phases[self._next_phase][0] <= ts:
            p_ts, phase, reason = self._phases[self._next_phase]
            raw += engine.set_phase(self.symbol, phase, p_ts, reason=reason)
            self._next_phase += 1
        while self._next_trade < len(self._tr_ts) and self._tr_frame[self._next_trade] <= k:
            self._trade(self._next_trade, raw)
            self._next_trade += 1
        self._sync(k, ts, raw)
        self._next_frame = k + 1
        if k + 1 >= len(self._ts) or self._ts[k + 1] != ts:
            self._consumed.clear()
            if k + 1 >= len(self._ts):  # trades after the last frame
                while self._next_trade < len(self._tr_ts):
                    self._trade(self._next_trade, raw)
                    self._next_trade += 1
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
    def _trade(self, i: int, events: list[Event]) -> None:
        px, qty, aggressor = self._tr_px[i], self._tr_qty[i], self._tr_side[i]
        ts = self._tr_ts[i]
        engine = self.engine
        events.append(
            engine.print_trade(self.symbol, px, qty, Side.BUY if aggressor > 0 else Side.SELL, ts)
        )
        resting = SELL if aggressor > 0 else BUY
        side = self._book.side(resting)
        left = qty
        # levels from the best down to the trade price (better-than-trade levels first)
        for key in list(reversed(side.keys)):
            if left <= 0 or key < resting * px:
                break
            level = side.levels.get(key)
            if level is None:
                continue
            at_trade_px = level.px == px
            for o in list(level.orders):
                if left <= 0:
                    break
                if not o.qty:
                    continue
                if o.member == REPLAY:
                    if at_trade_px:  # displayed queue consumed (virtually) from the front
                        take = min(left, o.qty)
                        left -= take
                        k = (resting, px)
                        self._consumed[k] = self._consumed.get(k, 0) + take
                    continue
                take = min(left, o.qty)
                left -= take
                events += engine.external_fill(o.order_id, take, ts, REPLAY_TAKER)

    def _replay_orders(self, side: BookSide, px: int) -> list[Order]:
        level = side.level(px)
        if level is None:
            return []
        return [o for o in level.orders if o.qty and o.member == REPLAY]

    def _sync(self, k: int, ts: int, events: list[Event]) -> None:
        """Make the replay liquidity equal frame k. Only entries that differ from the
        previously synced frame are visited, unless a trade happened since (a fill may
        have taken replay liquidity at an unchanged level): then the whole frame is."""
        prev = self._synced
        full_sync = prev is None or self.engine.trade_count != self._synced_trades
        rows = (
            (BUY, self._bid_px, self._bid_qty),
            (SELL, self._ask_px, self._ask_qty),
        )
        grow: list[tuple[int, int, int]] = []
        for s, all_px, all_qty in rows:
            pxs, qtys = all_px[k], all_qty[k]
            if prev is None:
                old_pxs: list[int] = []
                old_qtys: list[int] = []
            else:
                old_pxs, old_qtys = all_px[prev], all_qty[prev]
                if not full_sync and pxs == old_pxs and qtys == old_qtys:
                    continue
            side = self._book.side(s)
            have = self._levels[s]
            if full_sync or pxs != old_pxs:
                target = {p: q for p, q in zip(pxs, qtys, strict=True) if q > 0}
                full = len(target) == len(pxs)
                worst = pxs[-1]
                for px in list(have):
                    if px in target:
                        continue
                    if full and s * px < s * worst:
                        continue  # scrolled out of view: unknown, keep
                    for o in self._replay_orders(side, px):
                        events += self.engine.cancel(REPLAY, o.order_id, ts)
                    have.discard(px)
            if full_sync:
                changed = list(zip(pxs, qtys, strict=True))
            else:
                old = set(zip(old_pxs, old_qtys, strict=True))
                changed = [(p, q) for p, q in zip(pxs, qtys, strict=True) if (p, q) not in old]
            for px, want in changed:
                if want <= 0:
                    continue
                chunks = self._replay_orders(side, px)
                cur = sum(o.qty for o in chunks)
                if want < cur:
                    self._shrink(s, px, chunks, cur - want, ts, events)
                elif want > cur:
                    grow.append((s, px, want - cur))
                have.add(px)
        # additions after all removals, so the recorded book never crosses itself in between
        for s, px, add in grow:
            self._grow(s, px, add, ts, events)
        self._synced = k
        self._synced_trades = self.engine.trade_count

    def _shrink(
        self, s: int, px: int, chunks: list[Order], d: int, ts: int, events: list[Event]
    ) -> None:
        sizes = [o.qty for o in chunks]
        front = min(d, self._consumed.get((s, px), 0))
        if front:
            self._consumed[(s, px)] -= front
            left = front
            for i in range(len(sizes)):
                take = min(left, sizes[i])
                sizes[i] -= take
                left -= take
                if not left:
                    break
        rest = d - front
        if rest:
            if self.queue_model is QueueModel.RANDOM and len(chunks) > 1:
                cut = self._rng.multivariate_hypergeometric(sizes, rest).tolist()
                sizes = [a - b for a, b in zip(sizes, cut, strict=True)]
            else:
                for i in range(len(sizes) - 1, -1, -1):
                    take = min(rest, sizes[i])
                    sizes[i] -= take
                    rest -= take
                    if not rest:
                        break
        engine = self.engine
        for o, new in zip(chunks, sizes, strict=True):
            if new == o.qty:
                continue
            if new == 0:
                events += engine.cancel(REPLAY, o.order_id, ts)
            else:
                events += engine.replace(REPLAY, o.order_id, o.px, o.filled + new, ts)

    def _grow(self, s: int, px: int, add: int, ts: int, events: list[Event]) -> None:
        side = self._book.side(s)
        level = side.level(px)
        if level is not None:
            last = next((o for o in reversed(level.orders) if o.qty), None)
            if last is not None and last.member == REPLAY:  # already at the back: enlarge it
                events += self.engine.replace(
                    REPLAY, last.order_id, px, last.filled + last.qty + add, ts
                )
                return
        events += self.engine.submit(
            REPLAY, self.symbol, Side.BUY if s == BUY else Side.SELL, px, add, ts
        )


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
