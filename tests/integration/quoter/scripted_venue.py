"""A small scripted FIX venue for the quoter's integration tests (real TCP, `quoter.fix`).

Acceptor `VENUE` for one member. A simulation clock runs `speed` times wall
time from `start_ns`. Each `step()` moves a seeded random-walk mid by at most
one tick, publishes the background book's changes as 35=X (price-keyed, with
272/273 simulation time, 1023 level), flags a stressed market between
`stress_s` (35=f with 20001), and lets a scripted taker hit our best order on
a random side (35=8 ExecType F, 851=1, a rebate in 12/13=3). Orders: post-only
limit orders are accepted (35=8 150=0) unless they would cross the background
book (150=8); cancels and cancel/replaces are applied at once; an unknown
order gets 35=9. Cancel-on-disconnect. This is a test double for the order and
market-data contract, not a matching engine (the real venue is `mmsla venue`).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from decimal import Decimal

from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.times import format_utc
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.fix.transport import Acceptor, _Connection
from quoter.marketdata import quoter_dictionary

NS = 1_000_000_000


@dataclass
class _Order:
    venue_id: str
    client_id: str
    side: str  # "1" buy, "2" sell
    px: Decimal
    qty: Decimal
    cum: Decimal = Decimal(0)

    @property
    def leaves(self) -> Decimal:
        return self.qty - self.cum


class _Acceptor(Acceptor):
    conn: _Connection | None = None

    def attached(self, session: Session, conn: _Connection) -> None:
        self.conn = conn

    def detached(self, session: Session, conn: _Connection) -> None:
        if self.conn is conn:
            self.conn = None


class ScriptedVenue(BaseApplication):
    def __init__(
        self,
        *,
        member: str = "MM1",
        username: str = "mm1",
        password: str = "secret",
        symbol: str = "ABC",
        start_ns: int,
        speed: float = 30.0,
        seed: int = 7,
        mid_ticks: int = 10_000,
        tick: Decimal = Decimal("0.01"),
        half_width_ticks: int = 5,
        fill_prob: float = 0.35,
        stress_s: tuple[float, float] | None = None,
    ) -> None:
        self.symbol = symbol
        self.tick = tick
        self.start_ns = start_ns
        self.speed = speed
        self.rng = random.Random(seed)
        self.mid = mid_ticks
        self.half = half_width_ticks
        self.fill_prob = fill_prob
        self.stress_s = stress_s
        self.stressed = False
        self.orders: dict[str, _Order] = {}
        self.new_orders = 0
        self.cancels = 0
        self.replaces = 0
        self.fills = 0
        self.subscribed = False
        self._ids = 0
        self._wall0: float | None = None
        self.book = self._background()
        self.session = Session(
            SessionConfig(
                "VENUE",
                member,
                role="acceptor",
                credentials={username: password},
                sending_time_precision="us",
            ),
            self,
            dictionary=quoter_dictionary(),
        )
        self.acceptor = _Acceptor([self.session])

    # ---- clock -------------------------------------------------------------------------

    def now(self) -> int:
        loop = asyncio.get_running_loop()
        if self._wall0 is None:
            self._wall0 = loop.time()
        return self.start_ns + int((loop.time() - self._wall0) * self.speed * NS)

    def _ts(self) -> str:
        return format_utc(self.now(), "us")

    def _entry_time(self) -> list[tuple[int, str]]:
        text = format_utc(self.now(), "us")
        return [(272, text[:8]), (273, text[9:])]

    # ---- market ------------------------------------------------------------------------

    def _background(self) -> dict[tuple[str, int], int]:
        book: dict[tuple[str, int], int] = {}
        for k in range(5):
            book[("0", self.mid - self.half - k)] = 300 + 100 * k
            book[("1", self.mid + self.half + k)] = 300 + 100 * k
        return book

    def best_bid(self) -> int:
        return max(p for s, p in self.book if s == "0")

    def best_ask(self) -> int:
        return min(p for s, p in self.book if s == "1")

    def _px(self, ticks: int) -> str:
        return format(ticks * self.tick, "f")

    def _snapshot(self) -> None:
        body: list[tuple[int, str]] = [(262, "md"), (55, self.symbol), (268, str(len(self.book)))]
        for (side, px), qty in sorted(self.book.items()):
            body += [(269, side), (270, self._px(px)), (271, str(qty)), *self._entry_time()]
        self.session.send("W", body)
        self._status()

    def _status(self) -> None:
        self.session.send(
            "f",
            [
                (55, self.symbol),
                (326, "17"),
                (60, self._ts()),
                (20001, "Y" if self.stressed else "N"),
            ],
        )

    def step(self) -> None:
        """Advance the scripted market by one step (call from the loop)."""
        if not self.session.is_logged_on or not self.subscribed:
            return
        sim_s = (self.now() - self.start_ns) / NS
        if self.stress_s is not None:
            stressed = self.stress_s[0] <= sim_s < self.stress_s[1]
            if stressed != self.stressed:
                self.stressed = stressed
                self._status()
        r = self.rng.random()
        if r < 0.25:
            self.mid += 1
        elif r < 0.5:
            self.mid -= 1
        old, new = self.book, self._background()
        self.book = new
        entries: list[list[tuple[int, str]]] = []
        for key in sorted(set(old) - set(new)):
            entries.append([(279, "2"), (269, key[0]), (55, self.symbol), (270, self._px(key[1]))])
        for key in sorted(new):
            if key not in old:
                act = "0"
            elif old[key] != new[key]:
                act = "1"
            else:
                continue
            entries.append(
                [
                    (279, act),
                    (269, key[0]),
                    (55, self.symbol),
                    (270, self._px(key[1])),
                    (271, str(new[key])),
                ]
            )
        if entries:
            body: list[tuple[int, str]] = [(262, "md"), (268, str(len(entries)))]
            for e in entries:
                body += e + self._entry_time()
            self.session.send("X", body)
        if self.orders and self.rng.random() < self.fill_prob:
            self._taker()
        self.pump()

    def _taker(self) -> None:
        side = self.rng.choice(["1", "2"])
        mine = [o for o in self.orders.values() if o.side == side]
        if not mine:
            return
        best = max(mine, key=lambda o: o.px) if side == "1" else min(mine, key=lambda o: o.px)
        qty = min(best.leaves, Decimal(self.rng.randrange(10, 80, 10)))
        best.cum += qty
        self.fills += 1
        done = best.leaves == 0
        rebate = -(qty * best.px * Decimal("0.0001"))
        self._er(
            best,
            "F",
            "2" if done else "1",
            extra=[
                (32, format(qty, "f")),
                (31, format(best.px, "f")),
                (851, "1"),
                (12, format(rebate, "f")),
                (13, "3"),
            ],
        )
        if done:
            del self.orders[best.client_id]

    def pump(self) -> None:
        conn = self.acceptor.conn
        if conn is not None:
            conn._pump()

    # ---- order entry -------------------------------------------------------------------

    def _er(
        self,
        o: _Order,
        exec_type: str,
        status: str,
        *,
        orig: str | None = None,
        text: str | None = None,
        extra: list[tuple[int, str]] | None = None,
    ) -> None:
        self._ids += 1
        body = [(37, o.venue_id), (11, o.client_id)]
        if orig is not None:
            body.append((41, orig))
        body += [
            (17, f"E{self._ids}"),
            (150, exec_type),
            (39, status),
            (55, self.symbol),
            (54, o.side),
            (38, format(o.qty, "f")),
            (40, "2"),
            (44, format(o.px, "f")),
            (151, format(o.leaves if status not in ("4", "8") else Decimal(0), "f")),
            (14, format(o.cum, "f")),
            (6, "0"),
            (60, self._ts()),
        ]
        if text:
            body.append((58, text))
        body += extra or []
        self.session.send("8", body)

    def _crosses(self, side: str, px: Decimal) -> bool:
        ticks = int(px / self.tick)
        return ticks >= self.best_ask() if side == "1" else ticks <= self.best_bid()

    def on_logon(self, session: Session) -> None:
        self.orders.clear()

    def on_disconnect(self, session: Session) -> None:
        self.orders.clear()  # cancel on disconnect
        self.subscribed = False

    def on_message(self, session: Session, msg: RawMessage) -> None:
        v = msg.values
        mt = msg.msg_type
        if mt == "V":
            self.subscribed = True
            self._snapshot()
        elif mt == "D":
            self.new_orders += 1
            self._ids += 1
            o = _Order(f"V{self._ids}", v[11], v[54], Decimal(v[44]), Decimal(v[38]))
            if "6" in v.get(18, "") and self._crosses(o.side, o.px):
                self._er(o, "8", "8", text="post-only order would cross")
                return
            self.orders[o.client_id] = o
            self._er(o, "0", "0")
        elif mt == "F":
            self.cancels += 1
            o2 = self.orders.pop(v[41], None)
            if o2 is None:
                self._cancel_reject(v, "1")
                return
            o2.client_id = v[11]
            self._er(o2, "4", "4", orig=v[41])
        elif mt == "G":
            self.replaces += 1
            o3 = self.orders.get(v[41])
            if o3 is None:
                self._cancel_reject(v, "2")
                return
            px, qty = Decimal(v[44]), Decimal(v[38])
            if "6" in v.get(18, "") and self._crosses(o3.side, px):
                self._cancel_reject(v, "2", status="0")
                return
            del self.orders[v[41]]
            o3.client_id, o3.px, o3.qty = v[11], px, qty
            if o3.leaves <= 0:
                self._er(o3, "4", "4", orig=v[41])
                return
            self.orders[o3.client_id] = o3
            self._er(o3, "5", "1" if o3.cum else "0", orig=v[41])

    def _cancel_reject(self, v: dict[int, str], to: str, status: str = "8") -> None:
        self.session.send(
            "9",
            [(37, "NONE"), (11, v[11]), (41, v[41]), (39, status), (434, to), (102, "1")],
        )
