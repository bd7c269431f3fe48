"""The quoter's hot-path shortcuts give exactly what the general paths give.

Pre-serialised replaces (`OrderManager.send_text` -> `Session.send_text`) must
put the same bytes on the wire as the field-list path, and
`RiskEngine.check_terms` must decide, track and record exactly as
`check(ReplaceIntent(...))`; the memoised clamp must tell its inputs apart.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from decimal import Decimal

import pytest

from mmsla.domain import Side
from mmsla.domain.agreement import MaxSpread, MinSize, StatesPolicy, Terms
from quoter.clamp import ObligationClamp
from quoter.config import LadderConfig, PricingConfig
from quoter.fix.codec.framing import encode, join_fields, parse
from quoter.fix.codec.times import parse_utc
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.intents import Instrument, OrderIntent, ReplaceIntent
from quoter.marketdata import _entry_ts, quoter_dictionary
from quoter.orders import OrderManager
from quoter.pricing.ladder import Ladder
from quoter.pricing.requote import RequotePolicy
from quoter.pricing.skew import InventorySkew
from quoter.pricing.spread import VolScaledSpread
from quoter.pricing.ticks import snap_quote
from quoter.pricing.volatility import EwmaConfig
from quoter.risk import APPROVED, Denied, DenyReason, RiskConfig, RiskEngine, SymbolLimits
from quoter.strategy import SymbolStrategy, _snap

ABC = Instrument("ABC", Decimal("0.01"), Decimal(1))
T0 = 1_800_000_000 * 1_000_000_000


class _Both:
    """Records field-list sends as text, and text sends as given."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def fields(self, msg_type: str, body: Sequence[tuple[int, str]]) -> None:
        self.texts.append((msg_type, join_fields(body)))

    def text(self, msg_type: str, body_text: str) -> None:
        self.texts.append((msg_type, body_text))


def _ack(om: OrderManager, msg_type: str, text: str, *, venue_id: str | None) -> None:
    """The venue accepts (35=D) or confirms the replace (35=G) described by `text`."""
    fields = dict((int(t), val) for t, val in (f.split("=", 1) for f in text.split("\x01") if f))
    body = [(11, fields[11]), (150, "0" if msg_type == "D" else "5"), (39, "0")]
    if msg_type == "G":
        body.append((41, fields[41]))
    if venue_id is not None:
        body.append((37, venue_id))
    body += [(54, fields[54]), (55, "ABC"), (151, fields[38]), (14, "0")]
    om.on_execution_report(parse(encode("FIX.4.4", "8", [], body)), T0)


@pytest.mark.parametrize("venue_id", ["V1", None])
@pytest.mark.parametrize("post_only", [True, False])
def test_replace_text_equals_the_field_list(venue_id: str | None, post_only: bool) -> None:
    sent: dict[bool, list[tuple[str, str]]] = {}
    for use_text in (False, True):
        risk = RiskEngine(RiskConfig((ABC,), default=SymbolLimits()))
        rec = _Both()
        om = OrderManager(
            [ABC], rec.fields, risk, requote=RequotePolicy(), id_prefix="T", post_only=post_only
        )
        if use_text:
            om.send_text = rec.text
        om.reconcile("ABC", Ladder(((9990, 100),), ((10010, 200),)), T0)
        for mt, text in list(rec.texts):
            _ack(om, mt, text, venue_id=venue_id)
        # both sides move (and the ask's size): two replaces
        om.reconcile("ABC", Ladder(((9995, 100),), ((10012, 300),)), T0 + 5_000)
        sent[use_text] = rec.texts
    assert [mt for mt, _ in sent[True]] == ["D", "D", "G", "G"]
    assert sent[True] == sent[False]
    g = sent[True][-1][1]
    assert ("18=6\x01" in g) is post_only and ("37=" in g) is (venue_id is not None)


def _pair() -> tuple[Session, Session]:
    d = quoter_dictionary()
    q = Session(SessionConfig("MM1", "VENUE"), BaseApplication(), dictionary=d)
    v = Session(SessionConfig("VENUE", "MM1", role="acceptor"), BaseApplication(), dictionary=d)
    q.connection_made()
    v.connection_made()
    v.data_received(q.data_to_send())
    q.data_received(v.data_to_send())
    assert q.is_logged_on
    return q, v


def test_session_send_text_equals_send() -> None:
    body = [(41, "A1"), (11, "A2"), (55, "ABC"), (54, "1"), (38, "100"), (40, "2"), (44, "1.5")]
    frames = []
    for use_text in (False, True):
        q, _ = _pair()
        q.clock = lambda: T0 + 123_456_789  # the same SendingTime both ways
        seq = q.send_text("G", join_fields(body)) if use_text else q.send("G", body)
        frames.append((seq, q.data_to_send(), q.store.get_sent(seq, seq)))
    assert frames[0] == frames[1]
    assert frames[0][2] == [(frames[0][0], frames[0][1])]  # stored for resend


def test_session_send_text_needs_logon() -> None:
    q = Session(SessionConfig("MM1", "VENUE"), BaseApplication(), dictionary=quoter_dictionary())
    with pytest.raises(RuntimeError):
        q.send_text("G", "55=ABC\x01")


def _risk(limits: SymbolLimits) -> RiskEngine:
    r = RiskEngine(RiskConfig((ABC,), default=limits))
    r.set_reference("ABC", 10_000)
    return r


@pytest.mark.parametrize(
    ("limits", "px", "qty", "reason"),
    [
        (SymbolLimits(), 10_005, 150, None),
        (SymbolLimits(max_order_qty=Decimal(120)), 10_005, 160, DenyReason.MAX_ORDER_QTY),
        (SymbolLimits(price_collar_bps=Decimal(10)), 10_050, 100, DenyReason.PRICE_COLLAR),
        (SymbolLimits(max_net_qty=Decimal(140)), 10_000, 150, DenyReason.MAX_NET_POSITION),
    ],
)
def test_check_terms_equals_check(
    limits: SymbolLimits, px: int, qty: int, reason: DenyReason | None
) -> None:
    out = []
    for fast in (False, True):
        r = _risk(limits)
        assert r.check(OrderIntent("A", ABC, Side.BUY, 9_990, 100), T0) is APPROVED
        r.on_fill("A", "ABC", Side.BUY, 30, 9_990)  # part filled: 70 open
        if fast:
            v = r.check_terms("B", "A", "ABC", Side.BUY, px, qty, T0 + 1)
        else:
            v = r.check(ReplaceIntent("B", "A", ABC, Side.BUY, px, qty), T0 + 1)
        out.append((v, r.drain_events(), r.open_order_ids, r.exposure("ABC")))
    assert out[0] == out[1]
    v, events, ids, exp = out[1]
    if reason is None:
        assert v is APPROVED and ids == frozenset({"B"})
        assert exp.open_buy_lots == qty - 30  # the new leaves, fills kept
    else:
        assert isinstance(v, Denied) and v.reason is reason and ids == frozenset({"A"})
        assert len(events) == 1 and exp.open_buy_lots == 70


def test_check_terms_of_an_unknown_order_is_denied() -> None:
    r = _risk(SymbolLimits())
    v = r.check_terms("B", "nope", "ABC", Side.BUY, 10_000, 100, T0)
    assert isinstance(v, Denied) and v.reason is DenyReason.UNKNOWN_ORDER
    assert r.open_order_ids == frozenset()


def test_clamp_memo_keys_on_stress_and_market() -> None:
    """`ObligationClamp.apply` is memoised: the same ladder again under another stress
    flag or (for a market-referenced limit) another market gets its own answer."""
    states = StatesPolicy(
        stressed_spread_multiplier=Decimal(2), stressed_size_multiplier=Decimal(3)
    )
    terms = Terms(
        max_spread=MaxSpread(Decimal(10), "bps", "market_mid"), min_size=MinSize(qty=Decimal(50))
    )
    lad = Ladder(((9_980, 40),), ((10_020, 40),))  # 40 ticks wide, under the min size
    runs = []
    for _ in range(2):  # the second round is answered from the memo
        c = ObligationClamp(terms, states, ABC, Decimal("0.01"))
        out = []
        for stressed, market in [
            (False, (9_999, 10_001)),
            (True, (9_999, 10_001)),
            (False, (19_999, 20_001)),
        ]:
            out.append(c.apply(lad, stressed=stressed, market=market))
            out.append(c.apply(lad, stressed=stressed, market=market))
        runs.append(out)
    plain, plain2, stressed_, _, wide_market, _ = runs[0]
    assert runs[0] == runs[1] and plain == plain2
    assert plain.ladder.bids[0] == (9_995, 50) and plain.ladder.asks[0] == (10_005, 50)
    assert stressed_.ladder.bids[0] == (9_990, 150)  # twice the width, thrice the size
    assert wide_market.ladder.bids[0] == (9_990, 50)  # 10 bps of 200.00 is 20 ticks


def test_own_lots_at_equals_own_lots_through_a_random_life() -> None:
    """Orders placed, replaced (in flight and confirmed), part filled, cancelled, with
    book updates in between: at every step and price, `own_lots_at` agrees."""
    rng = random.Random(3)
    risk = RiskEngine(RiskConfig((ABC,), default=SymbolLimits()))
    rec = _Both()
    om = OrderManager([ABC], rec.fields, risk, requote=RequotePolicy(), id_prefix="T")
    pending: list[tuple[str, dict[int, str]]] = []
    fills = 0

    def agree() -> None:
        bids, asks = om.own_lots("ABC")
        for px in range(9_960, 10_041):
            assert om.own_lots_at("ABC", Side.BUY, px) == bids.get(px, 0)
            assert om.own_lots_at("ABC", Side.SELL, px) == asks.get(px, 0)

    for step in range(400):
        r = rng.random()
        if r < 0.35:
            mid = 10_000 + rng.randrange(-15, 16)
            half = rng.randrange(2, 8)
            lad = Ladder(
                ((mid - half, rng.randrange(1, 4) * 50), (mid - half - 5, 100)),
                ((mid + half, rng.randrange(1, 4) * 50), (mid + half + 5, 100)),
            )
            om.reconcile("ABC", lad, T0 + step)
            for mt, text in rec.texts:
                f = dict((int(t), v) for t, v in (x.split("=", 1) for x in text.split("\x01") if x))
                pending.append((mt, f))
            rec.texts.clear()
        elif r < 0.7 and pending:
            mt, f = pending.pop(rng.randrange(len(pending)))
            et = {"D": "0", "G": "5", "F": "4"}[mt]
            body = [(11, f[11]), (150, et), (39, "4" if et == "4" else "0"), (54, f[54])]
            if mt != "D":
                body.append((41, f[41]))
            body += [(55, "ABC"), (37, "V" + f[11]), (14, "0")]
            om.on_execution_report(parse(encode("FIX.4.4", "8", [], body)), T0 + step)
        elif r < 0.8:
            live = [o for o in om.live_orders("ABC") if o.leaves_lots > 1]
            if live:
                o = rng.choice(live)
                fills += 1
                n = rng.randrange(1, o.leaves_lots)
                body = [(11, o.client_id), (150, "F"), (39, "1"), (32, str(n))]
                body += [(31, format(o.px_ticks * ABC.tick, "f")), (54, "1"), (55, "ABC")]
                body += [(17, f"X{fills}"), (14, str(o.filled_lots + n))]
                om.on_execution_report(parse(encode("FIX.4.4", "8", [], body)), T0 + step)
        else:
            om.book_updated("ABC")
        agree()
    assert fills > 10 and om.messages_sent > 20


def test_strategy_snap_equals_snap_quote() -> None:
    rng = random.Random(8)
    for tick in ("0.01", "0.05", "0.5", "0.0001", "25"):
        t = Decimal(tick)
        for _ in range(3000):
            fair = float(t) * rng.uniform(1, 20_000)
            half = float(t) * rng.choice([0.0, 0.5, 1.0, 3.0, rng.uniform(0, 8)])
            w = rng.randrange(1, 5)
            got = _snap(fair - half, fair + half, float(t), w)
            assert got == snap_quote(fair - half, fair + half, t, w), (tick, fair, half, w)


def test_vol_scaled_strategy_shortcut_equals_the_model_target() -> None:
    """The strategy asks a `VolScaledSpread` for its half spread alone: the ladders are
    those of the general path through `target(QuoteInputs(...))`."""
    pricing = PricingConfig(
        spread=VolScaledSpread(base_ticks=6, vol_mult=6.0, max_ticks=40),
        skew=InventorySkew(0.01, 3),
        volatility=EwmaConfig(half_life_s=30, initial_sigma_per_s=0.0002),
    )
    fast = SymbolStrategy(ABC, pricing, LadderConfig(qty=Decimal(100)))
    slow = SymbolStrategy(ABC, pricing, LadderConfig(qty=Decimal(100)))
    assert fast._vol_scaled is not None
    slow._vol_scaled = None  # the general path
    rng = random.Random(4)
    px = 100.0
    for i in range(2000):
        px *= math.exp(rng.gauss(0, 0.002))
        now = T0 + i * 50_000_000
        fast.observe(now, px)
        slow.observe(now, px)
        inv, widen = rng.randrange(-400, 400), rng.choice([1.0, 1.5, 3.0])
        assert fast.desired(px, inv, now, widen) == slow.desired(px, inv, now, widen)


def test_entry_time_shortcut_equals_parse_utc() -> None:
    for date, tm in [
        ("20261123", "09:00:00.000001"),
        ("20261123", "09:00:00.999999"),
        ("20261123", "23:59:59.500000"),
        ("20261124", "00:00:00.000000"),
        ("20261123", "09:00:00.123"),
        ("20261123", "09:00:00"),
        ("20261123", "09:00:00.123456789"),
    ]:
        assert _entry_ts(date, tm) == parse_utc(f"{date}-{tm}")
        assert _entry_ts(date, tm) == parse_utc(f"{date}-{tm}")  # from the cache
    assert _entry_ts(None, "09:00:00.000001") is None and _entry_ts("20261123", None) is None
    for date, tm in [("2026112", "09:00:00.000001"), ("20261123", "09-00:00.000001")]:
        with pytest.raises(ValueError):
            _entry_ts(date, tm)


def test_transact_time_text_equals_format_utc() -> None:
    # the order manager keeps its TransactTime second's text: every instant (same
    # one, next microsecond, next second, seconds later) reads as format_utc says
    from quoter.fix.codec.times import format_utc

    risk = RiskEngine(RiskConfig((ABC,), default=SymbolLimits()))
    om = OrderManager([ABC], _Both().fields, risk, requote=RequotePolicy(), id_prefix="T")
    rng = random.Random(11)
    t = 1_764_000_000_000_000_000
    steps = [0, 1, 999, 1000, 137_000, 999_999_999, 10**9, 3 * 10**9]
    for _ in range(20_000):
        t += rng.choice(steps)
        assert om._transact(t) == format_utc(t, "us")
