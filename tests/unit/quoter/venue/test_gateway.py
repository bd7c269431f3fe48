"""Gateway semantics with real FIX sessions wired back to back in memory (sans I/O).

Each member is a pair of `quoter.fix` sessions (member initiator <-> venue
acceptor) whose bytes are shuttled by `pump()`; no sockets, no mocks.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from mmsla.domain import Side
from quoter.fix.codec.framing import RawMessage
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.venue.gateway import Gateway, Member
from quoter.venue.matching import MatchingEngine
from quoter.venue.md_publisher import venue_dictionary
from quoter.venue.rules import MmpSpec, SymbolSpec

T0 = 1_340_285_400_000_000_000
TS = "20120621-13:30:00.000"


class Inbox(BaseApplication):
    def __init__(self) -> None:
        self.msgs: list[RawMessage] = []

    def on_message(self, session: Session, msg: RawMessage) -> None:
        self.msgs.append(msg)

    def take(self, msg_type: str) -> list[dict[int, str]]:
        out = [m.values for m in self.msgs if m.msg_type == msg_type]
        self.msgs = [m for m in self.msgs if m.msg_type != msg_type]
        return out


class Venue:
    def __init__(self, spec: SymbolSpec, members: tuple[Member, ...]) -> None:
        self.engine = MatchingEngine([spec])
        self.now = T0
        self.log: list[str] = []
        self.gateway = Gateway(self.engine, [spec], members, lambda: self.now, self.log.append)
        self.pairs: dict[str, tuple[Session, Session, Inbox]] = {}
        for m in members:
            acc = Session(
                SessionConfig(
                    "VENUE", m.comp_id, role="acceptor", credentials={m.username: m.password}
                ),
                app=self.gateway,
                dictionary=venue_dictionary(),
            )
            inbox = Inbox()
            ini = Session(
                SessionConfig(m.comp_id, "VENUE", username=m.username, password=m.password),
                app=inbox,
                dictionary=venue_dictionary(),
            )
            acc.connection_made()
            ini.connection_made()
            self.pairs[m.comp_id] = (ini, acc, inbox)
        self.pump()

    def pump(self) -> None:
        moved = True
        while moved:
            moved = False
            for ini, acc, _ in self.pairs.values():
                for src, dst in ((ini, acc), (acc, ini)):
                    data = src.data_to_send()
                    if data and dst.connected:
                        dst.data_received(data)
                        moved = True

    def send(self, member: str, msg_type: str, body: list[tuple[int, str]]) -> None:
        self.pairs[member][0].send(msg_type, body)
        self.pump()

    def inbox(self, member: str) -> Inbox:
        return self.pairs[member][2]


def order(cl: str, side: str, px: str, qty: str, tif: str = "0") -> list[tuple[int, str]]:
    return [(11, cl), (55, "ABC"), (54, side), (60, TS), (38, qty), (40, "2"), (44, px), (59, tif)]


SPEC = SymbolSpec("ABC", Decimal("0.01"), Decimal(1))
MEMBERS = (Member("MM1", "u1", "p1"), Member("MM2", "u2", "p2"))


def test_sessions_log_on_with_credentials() -> None:
    v = Venue(SPEC, MEMBERS)
    assert all(acc.is_logged_on for _, acc, _ in v.pairs.values())
    assert v.log == ["logon MM1", "logon MM2"]


def test_cum_leaves_and_avg_px_over_a_sweep_match_an_exact_computation() -> None:
    v = Venue(SPEC, MEMBERS)
    asks = [("100.00", "1"), ("100.01", "2"), ("100.03", "4")]
    for i, (px, q) in enumerate(asks):
        v.send("MM2", "D", order(f"a{i}", "2", px, q))
    v.send("MM1", "D", order("b", "1", "100.03", "9"))
    reports = v.inbox("MM1").take("8")
    assert [r[150] for r in reports] == ["0", "F", "F", "F"]
    cum = 0
    notional = Fraction(0)
    for r, (px, q) in zip(reports[1:], asks, strict=True):
        cum += int(q)
        notional += Fraction(px) * int(q)
        assert (r[31], r[32]) == (px, q)
        assert (int(r[14]), int(r[151])) == (cum, 9 - cum)
        exact = notional / cum
        assert abs(Fraction(r[6]) - exact) < Fraction(1, 10**20)
        assert r[39] == "1"
    # (100.00 + 2 * 100.01) / 3 does not terminate: 28 significant digits
    assert reports[2][6] == "100.0066666666666666666666667"
    v.send("MM1", "F", [(41, "b"), (11, "c"), (55, "ABC"), (54, "1"), (60, TS)])
    (cancel,) = v.inbox("MM1").take("8")
    assert (cancel[150], cancel[39], cancel[151], cancel[14]) == ("4", "4", "0", "7")


def test_protection_rejects_and_mmp_pull_have_clear_texts() -> None:
    spec = SymbolSpec(
        "ABC",
        Decimal("0.01"),
        Decimal(1),
        max_order_qty=5,
        price_band_bps=Decimal(100),
        mmp=MmpSpec(max_fills=2, window_ms=1000),
    )
    v = Venue(spec, MEMBERS)
    v.engine.set_reference("ABC", 10_000)
    v.send("MM1", "D", order("big", "1", "100.00", "6"))
    v.send("MM1", "D", order("far", "1", "98.99", "1"))
    big, far = v.inbox("MM1").take("8")
    assert (big[150], big[103], big[58]) == (
        "8",
        "3",
        "quantity above the maximum order quantity of 5 lots",
    )
    assert far[58] == "price outside the band of 100 bps around the reference 100.00"
    for i in range(3):
        v.send("MM1", "D", order(f"q{i}", "2", f"100.0{i + 1}", "1"))
    v.inbox("MM1").take("8")
    v.send("MM2", "D", order("hit", "1", "100.02", "2", tif="3"))  # two passive fills -> MMP
    reports = v.inbox("MM1").take("8")
    assert [r[150] for r in reports] == ["F", "F", "4"]
    assert reports[2][11] == "q2" and reports[2][58] == "cancelled by market-maker protection"
    assert v.engine.orders_of("MM1") == []
    assert any(line.startswith("protection mmp MM1 ABC") for line in v.log)


def test_cancel_on_disconnect_is_per_member() -> None:
    members = (Member("MM1", "u1", "p1"), Member("MM2", "u2", "p2", cancel_on_disconnect=False))
    v = Venue(SPEC, members)
    v.send("MM1", "D", order("x", "1", "99.00", "1"))
    v.send("MM2", "D", order("y", "1", "98.00", "1"))
    for _, acc, _ in v.pairs.values():
        acc.connection_lost()
    assert v.engine.orders_of("MM1") == []
    assert [o.px for o in v.engine.orders_of("MM2")] == [9800]
    assert "cancel-on-disconnect MM1: 1 orders cancelled" in v.log
    assert "disconnect MM2" in v.log


def test_unsupported_message_gets_a_business_reject() -> None:
    v = Venue(SPEC, MEMBERS)
    v.send("MM1", "R", [(131, "r1"), (146, "1"), (55, "ABC")])
    (rej,) = v.inbox("MM1").take("j")
    assert (rej[372], rej[380]) == ("R", "3")


def test_engine_side_effects_reach_the_right_member() -> None:
    v = Venue(SPEC, MEMBERS)
    v.send("MM2", "D", order("m", "2", "100.00", "5"))
    events = v.engine.submit("MM1", "ABC", Side.BUY, 10_000, 2, T0)  # straight into the engine
    v.gateway.dispatch(events)
    v.pump()
    (_new, fill) = v.inbox("MM2").take("8")
    assert (fill[11], fill[150], fill[151], fill[851]) == ("m", "F", "3", "1")
    assert v.inbox("MM1").take("8") == []  # MM1's order did not come over FIX
