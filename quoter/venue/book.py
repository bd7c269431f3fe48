"""One symbol's limit order book: price levels in time priority, integer ticks and lots.

Data structure only: adding, removing and resizing resting orders, best prices
and top-N snapshots. No matching rules, no fees, no events (see `matching`).

Each side keeps its levels in a dict keyed by a *sort key* and an ascending
list of keys whose last element is the best level: the key is `px` for bids
and `-px` for asks. A level holds a deque of orders in arrival order; removed
orders are marked dead (`qty == 0`) and skipped lazily, so a cancel is O(1)
apart from the level bookkeeping.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque

BUY = 1
SELL = -1


class Order:
    """A resting (or incoming) order. Mutable and internal to the venue core."""

    __slots__ = (
        "filled",
        "ioc",
        "member",
        "order_id",
        "post_only",
        "px",
        "qty",
        "quote_slot",
        "side",
        "symbol",
    )

    def __init__(
        self,
        order_id: int,
        member: str,
        symbol: str,
        side: int,
        px: int,
        qty: int,
        post_only: bool = False,
        ioc: bool = False,
        quote_slot: int | None = None,
    ) -> None:
        self.order_id = order_id
        self.member = member
        self.symbol = symbol
        self.side = side  # BUY or SELL
        self.px = px
        self.qty = qty  # leaves; 0 = dead
        self.filled = 0
        self.post_only = post_only
        self.ioc = ioc
        self.quote_slot = quote_slot  # mass-quote level index, None for a plain order


class PriceLevel:
    """Orders at one price in arrival order; `qty` and `count` cover live orders only."""

    __slots__ = ("count", "orders", "px", "qty")

    def __init__(self, px: int) -> None:
        self.px = px
        self.qty = 0
        self.count = 0
        self.orders: deque[Order] = deque()

    def live(self) -> list[Order]:
        """Live orders in priority order."""
        return [o for o in self.orders if o.qty]


class BookSide:
    """One side of the book. `sign` is +1 for bids, -1 for asks (key = sign * px)."""

    __slots__ = ("keys", "levels", "sign")

    def __init__(self, sign: int) -> None:
        self.sign = sign
        self.levels: dict[int, PriceLevel] = {}
        self.keys: list[int] = []  # ascending; best level last

    def best(self) -> int | None:
        return self.sign * self.keys[-1] if self.keys else None

    def level(self, px: int) -> PriceLevel | None:
        return self.levels.get(self.sign * px)

    def in_top(self, px: int, depth: int) -> bool:
        """True when a level at `px` is (or would be) among the best `depth` levels."""
        keys = self.keys
        return len(keys) <= depth or self.sign * px >= keys[-depth]

    def top(self, depth: int) -> tuple[tuple[int, int], ...]:
        levels = self.levels
        return tuple([(lv.px, lv.qty) for lv in map(levels.__getitem__, self.keys[-depth:][::-1])])

    def append(self, order: Order) -> None:
        """Queue `order` at the back of its price level."""
        key = self.sign * order.px
        level = self.levels.get(key)
        if level is None:
            level = PriceLevel(order.px)
            self.levels[key] = level
            keys = self.keys
            if not keys or key > keys[-1]:
                keys.append(key)
            else:
                insort(keys, key)
        level.orders.append(order)
        level.qty += order.qty
        level.count += 1

    def remove(self, order: Order) -> None:
        """Take a live order out of the book (marks it dead; the deque is cleaned lazily)."""
        key = self.sign * order.px
        level = self.levels[key]
        level.qty -= order.qty
        order.qty = 0
        level.count -= 1
        if level.count == 0:
            self.drop_level(key)

    def drop_level(self, key: int) -> None:
        del self.levels[key]
        keys = self.keys
        if keys[-1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]

    def resize(self, order: Order, qty: int) -> None:
        """Change a live order's leaves in place (keeps its queue position); qty > 0."""
        level = self.levels[self.sign * order.px]
        level.qty += qty - order.qty
        order.qty = qty

    def total_qty(self) -> int:
        return sum(lv.qty for lv in self.levels.values())


class OrderBook:
    """Both sides of one symbol's book."""

    __slots__ = ("asks", "bids", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids = BookSide(BUY)
        self.asks = BookSide(SELL)

    def side(self, side: int) -> BookSide:
        return self.bids if side == BUY else self.asks

    def best_bid(self) -> int | None:
        return self.bids.best()

    def best_ask(self) -> int | None:
        return self.asks.best()

    def top(self, depth: int) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
        return self.bids.top(depth), self.asks.top(depth)
