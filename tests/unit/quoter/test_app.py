"""QuoterEngine in-process: market data to orders, events, files, risk, control (real ZMQ)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import yaml

from mmsla.events import decode, encode
from mmsla.events.control import ControlServer, send_control
from quoter.app import FillsWriter, QuoterEngine
from quoter.config import QuoterConfig, build_config
from quoter.fix.codec.framing import RawMessage, parse
from quoter.fix.codec.framing import encode as fix_encode
from quoter.fix.session import Session
from quoter.quote_log import QuoteLogWriter
from tests.conftest import FIXTURES

EXAMPLE = FIXTURES / "quoter" / "quoter.yaml"


class Wire:
    """Stands in for the FIX session's `send`: records the messages as parsed FIX."""

    is_logged_on = True

    def __init__(self) -> None:
        self.sent: list[RawMessage] = []

    def send(self, msg_type: str, body: Sequence[tuple[int, str]]) -> int:
        self.sent.append(parse(fix_encode("FIX.4.4", msg_type, [], body)))
        return len(self.sent)

    def take(self, kind: str | None = None) -> list[RawMessage]:
        out = [m for m in self.sent if kind is None or m.msg_type == kind]
        self.sent = [m for m in self.sent if m not in out]
        return out


def _config(**edits: Any) -> QuoterConfig:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["endpoints"] = {}
    data["output"] = {}
    for key, value in edits.items():
        data[key] = value
    return build_config(data, base_dir=EXAMPLE.parent)


def _msg(mt: str, body: list[tuple[int, str]]) -> RawMessage:
    return parse(fix_encode("FIX.4.4", mt, [], body))


def _snapshot(bid: str, ask: str, ts: str = "20261123-09:00:00.000000") -> RawMessage:
    d, t = ts[:8], ts[9:]
    return _msg(
        "W",
        [
            (262, "md"),
            (55, "ABC"),
            (268, "2"),
            (269, "0"),
            (270, bid),
            (271, "500"),
            (272, d),
            (273, t),
            (269, "1"),
            (270, ask),
            (271, "500"),
            (272, d),
            (273, t),
        ],
    )


class Harness:
    def __init__(self, cfg: QuoterConfig, tmp: Path | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.wire = Wire()
        seq = [0]

        def publish(kind: str, ts: int, fields: Any) -> None:
            seq[0] += 1
            ev = {
                "type": kind,
                "seq": seq[0],
                "ts_event": ts,
                "ts_init": ts,
                "source": "t",
                **fields,
            }
            self.events.append(decode(encode(ev)[1]))  # through the real codec

        qlog = QuoteLogWriter(tmp / "q.csv", levels=3, flush_every=1) if tmp else None
        fills = FillsWriter(tmp / "f.csv") if tmp else None
        self.eng = QuoterEngine(cfg, publish=publish, quote_log=qlog, fills=fills, id_prefix="T")
        self.session = cast(Session, self.wire)
        self.eng.on_logon(self.session)
        assert [m.msg_type for m in self.wire.take()] == ["V"]

    def feed(self, msg: RawMessage) -> None:
        self.eng.on_message(self.session, msg)

    def ack_all(
        self, ts: str = "20261123-09:00:00.100000", msgs: list[RawMessage] | None = None
    ) -> None:
        for m in self.wire.take("D") if msgs is None else msgs:
            self.feed(
                _msg(
                    "8",
                    [
                        (37, "V" + m.values[11]),
                        (11, m.values[11]),
                        (17, "e"),
                        (150, "0"),
                        (39, "0"),
                        (54, m.values[54]),
                        (151, m.values[38]),
                        (14, "0"),
                        (6, "0"),
                        (60, ts),
                    ],
                )
            )

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]


def test_market_update_to_clamped_orders_quote_event_and_log(tmp_path: Path) -> None:
    h = Harness(_config(), tmp_path)
    h.feed(_snapshot("99.90", "100.10"))
    assert h.of("market")[0]["bid_px"] == Decimal("99.90")
    d = h.wire.sent
    assert [m.msg_type for m in d] == ["D"] * 6
    bids = sorted((Decimal(m.values[44]) for m in d if m.values[54] == "1"), reverse=True)
    asks = sorted(Decimal(m.values[44]) for m in d if m.values[54] == "2")
    # agreement: 20 bps of own mid, at least 100 a side
    assert (asks[0] - bids[0]) * 20000 <= 20 * (asks[0] + bids[0])
    assert all(Decimal(m.values[38]) >= 100 for m in d)
    h.ack_all()
    quotes = h.of("quote")
    assert len(quotes) >= 1 and quotes[-1]["cause"] == "quote"
    last = quotes[-1]
    assert [lv[0] for lv in last["bids"]] == bids and [lv[0] for lv in last["asks"]] == asks
    assert last["ts_event"] == 1795424400100000000  # venue time of the ExecutionReport
    rows = (tmp_path / "q.csv").read_text().splitlines()
    assert rows[0].startswith("ts,symbol,bid_px,bid_qty,ask_px,ask_qty,bid_px_2")
    assert rows[-1].split(",")[0] == "1795424400100000000" and rows[-1].endswith(",quote")


def test_clamp_event_when_the_strategy_wants_too_wide() -> None:
    cfg = _config(pricing={"spread": {"model": "fixed", "spread_ticks": 60}, "min_width_ticks": 2})
    h = Harness(cfg)
    h.feed(_snapshot("99.90", "100.10"))
    clamps = [e for e in h.of("risk") if e["decision"] == "clamped"]
    assert clamps and clamps[0]["actions"][0]["kind"] == "spread"
    d = h.wire.take("D")
    bid = max(Decimal(m.values[44]) for m in d if m.values[54] == "1")
    ask = min(Decimal(m.values[44]) for m in d if m.values[54] == "2")
    assert (ask - bid) * 20000 <= 20 * (ask + bid) and ask - bid == Decimal("0.20")
    # stressed: twice the spread allowed
    h.ack_all(msgs=d)
    h.feed(_msg("f", [(55, "ABC"), (326, "17"), (60, "20261123-09:00:01.000000"), (20001, "Y")]))
    assert h.of("state")[-1]["state"] == "stressed" and h.of("state")[-1]["active"] is True
    g = h.wire.take("G")
    gb = max(Decimal(m.values[44]) for m in g if m.values[54] == "1")
    ga = min(Decimal(m.values[44]) for m in g if m.values[54] == "2")
    assert ga - gb == Decimal("0.40")
    # the stress ends: the same state switched off (the monitor closes its interval)
    h.ack_all(msgs=g)
    h.feed(_msg("f", [(55, "ABC"), (326, "17"), (60, "20261123-09:00:09.000000"), (20001, "N")]))
    off = h.of("state")[-1]
    assert (off["state"], off["active"], off["phase"]) == ("stressed", False, "open")
    # a halt switches `halt` on; the market closing keeps it on (no event), reopening ends it
    h.feed(_msg("f", [(55, "ABC"), (326, "2"), (60, "20261123-09:00:10.000000")]))
    h.feed(_msg("f", [(55, "ABC"), (326, "18"), (60, "20261123-09:00:11.000000")]))
    h.feed(_msg("f", [(55, "ABC"), (326, "17"), (60, "20261123-09:00:12.000000")]))
    assert [(e["state"], e["active"]) for e in h.of("state")[-2:]] == [
        ("halt", True),
        ("halt", False),
    ]


def test_risk_denial_surfaces_as_a_risk_event() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    h = Harness(_config(risk={"default": {"max_order_qty": 120}}))
    h.feed(_snapshot("99.90", "100.10"))
    sent = h.wire.take("D")
    assert all(Decimal(m.values[38]) <= 120 for m in sent) and len(sent) == 2  # level 1 only
    denied = [e for e in h.of("risk") if e["decision"] == "denied"]
    assert {e["reason"] for e in denied} == {"max_order_qty"}
    assert data  # the example stays untouched


def test_fill_updates_inventory_position_event_and_fills_file(tmp_path: Path) -> None:
    h = Harness(_config(), tmp_path)
    h.feed(_snapshot("99.90", "100.10"))
    d = h.wire.sent[:]
    h.ack_all()
    bid = next(m for m in d if m.values[54] == "1")
    h.feed(
        _msg(
            "8",
            [
                (37, "V1"),
                (11, bid.values[11]),
                (17, "x1"),
                (150, "F"),
                (39, "1"),
                (54, "1"),
                (32, "40"),
                (31, bid.values[44]),
                (151, "60"),
                (14, "40"),
                (6, bid.values[44]),
                (60, "20261123-09:00:02.000000"),
                (851, "1"),
                (12, "-0.04"),
                (13, "3"),
            ],
        )
    )
    assert h.eng.inventory.position("ABC") == Decimal(40)
    pos = h.of("position")[-1]
    assert pos["qty"] == Decimal(40)
    fill = h.of("fill")[-1]
    assert fill["fee"] == Decimal("-0.04") and fill["liquidity"] == "maker"
    assert h.of("quote")[-1]["cause"] == "fill"
    h.eng.fills.flush()  # type: ignore[union-attr]
    rows = (tmp_path / "f.csv").read_text().splitlines()
    assert rows[0] == FillsWriter.HEADER
    assert rows[1].split(",")[:6] == [
        "1795424402000000000",
        "ABC",
        "buy",
        bid.values[44],
        "40",
        "-0.04",
    ]
    # the fill leaves the best bid below the minimum size: it is topped up at once
    g = h.wire.take("G")
    assert any(
        m.values[41] == bid.values[11] and m.values[38] == str(40 + int(bid.values[38])) for m in g
    )


def test_control_commands_over_zmq_take_effect_in_the_handler() -> None:
    h = Harness(_config())
    h.feed(_snapshot("99.90", "100.10"))
    h.ack_all()
    server = ControlServer("tcp://127.0.0.1:*", h.eng.control)
    replies: list[dict[str, Any] | None] = []

    def ask(cmd: dict[str, Any]) -> dict[str, Any] | None:
        t = threading.Thread(target=lambda: replies.append(send_control(server.endpoint, cmd)))
        t.start()
        assert server.poll(3000) == 1
        t.join()
        return replies[-1]

    try:
        r = ask({"type": "pull", "symbol": "ABC", "reason": "monitor: spread"})
        assert r is not None and r["ok"] and r["cancelled"] == 6
        assert len(h.wire.take("F")) == 6  # sent within the handler's turn
        assert h.of("risk")[-1] == {
            **h.of("risk")[-1],
            "decision": "pull",
            "reason": "monitor: spread",
        }
        h.feed(_snapshot("99.91", "100.11", "20261123-09:00:03.000000"))
        assert h.wire.take("D") == [], "no new order while pulled"
        r = ask({"type": "resume", "symbol": "ABC"})
        assert r is not None and r["ok"]
        assert h.eng.pulled == {}
        r = ask({"type": "widen", "symbol": "ABC", "factor": "2"})
        assert r is not None and r["ok"] and h.eng.widen["ABC"] == Decimal(2)
        r = ask({"type": "kill", "reason": "test"})
        assert r is not None and r["ok"] and h.eng.risk.kill_switch
        kill_events = [e for e in h.of("risk") if e["decision"] == "kill_switch"]
        assert kill_events[-1]["engaged"] is True
        r = ask({"type": "status"})
        assert r is not None and r["state"] == "killed" and "ABC" in r["symbols"]
        r = ask({"type": "widen", "symbol": "NOPE", "factor": "2"})
        assert r is not None and not r["ok"] and "unknown symbol" in r["error"]
        r = ask({"type": "widen", "symbol": "ABC", "factor": "0.5"})
        assert r is not None and not r["ok"]
    finally:
        server.close()


def test_disconnect_assumes_orders_gone_and_rebuilds_on_logon() -> None:
    h = Harness(_config())
    h.feed(_snapshot("99.90", "100.10"))
    h.ack_all()
    h.eng.on_disconnect(h.session)
    assert h.eng.orders.live_orders() == [] and h.eng.risk.needs_rebuild
    assert h.of("quote")[-1]["cause"] == "disconnect" and h.of("quote")[-1]["bids"] == []
    assert [e["decision"] for e in h.of("risk")][-1] == "rebuild_required"
    h.eng.on_logon(h.session)
    assert not h.eng.risk.needs_rebuild
    assert [m.msg_type for m in h.wire.take()] == ["V"]
    h.feed(_snapshot("99.90", "100.10", "20261123-09:00:05.000000"))
    assert len(h.wire.take("D")) == 6


def test_malformed_market_data_is_an_event_not_a_crash() -> None:
    h = Harness(_config())
    h.feed(_snapshot("99.905", "100.10"))
    assert h.of("risk")[-1]["decision"] == "bad_message"
    assert h.eng.stats["bad_messages"] == 1


def test_hedge_ioc_past_the_threshold_and_hedge_fill_books_inventory() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["endpoints"], data["output"] = {}, {}
    data["symbols"] = [
        {"symbol": "ABC", "tick": "0.01", "lot": "1", "hedge_symbol": "HDG"},
        {"symbol": "HDG", "tick": "0.01", "lot": "10", "quote": False},
    ]
    data["hedge"] = {"threshold": 50, "target": 0, "slippage_bps": 20, "cooldown_s": 5}
    h = Harness(build_config(data, base_dir=EXAMPLE.parent))
    h.feed(_snapshot("99.90", "100.10"))
    hd = _snapshot("49.90", "50.10")
    h.feed(_msg("W", [(262, "md"), (55, "HDG"), *[f for f in hd.fields[4:-1] if f[0] != 55]]))
    d = h.wire.take("D")
    h.ack_all(msgs=d)
    bid = next(m for m in d if m.values[54] == "1")
    fill = [(37, "V1"), (11, bid.values[11]), (17, "x1"), (150, "F"), (39, "1"), (54, "1")]
    fill += [(32, "100"), (31, bid.values[44]), (151, "0"), (14, "100"), (6, "0")]
    h.feed(_msg("8", [*fill, (60, "20261123-09:00:02.000000")]))
    hedges = [m for m in h.wire.take("D") if m.values[55] == "HDG"]
    assert len(hedges) == 1
    hm = hedges[0]
    # delta +100 > 50: sell the excess down to 0, in whole lots of 10, IOC, limit
    # 20 bps under the hedge mid 50.00 -> 49.90, not post-only
    assert (hm.values[54], hm.values[38], hm.values[59], hm.values[44]) == (
        "2",
        "100",
        "3",
        "49.90",
    )
    assert 18 not in hm.values
    h.feed(
        _msg(
            "8",
            [
                (37, "H1"),
                (11, hm.values[11]),
                (17, "x2"),
                (150, "F"),
                (39, "2"),
                (54, "2"),
                (32, "100"),
                (31, "49.95"),
                (151, "0"),
                (14, "100"),
                (6, "49.95"),
                (60, "20261123-09:00:02.100000"),
            ],
        )
    )
    assert h.eng.inventory.position("HDG") == Decimal(-100)
    assert h.eng.inventory.net_delta() == Decimal(0)
    hedger, group = h.eng.hedgers["HDG"]
    assert hedger.in_flight is None and group == ("ABC", "HDG")
    assert [e["purpose"] for e in h.of("order") if e["symbol"] == "HDG"] == ["hedge"]


def test_deferred_events_publish_after_the_orders_in_order_and_complete() -> None:
    cfg = _config()
    immediate = Harness(cfg)
    immediate.feed(_snapshot("99.90", "100.10"))
    immediate.ack_all()

    h = Harness(cfg)
    n0 = len(h.events)  # the logon's (published at once: no scheduler yet)
    scheduled: list[Any] = []
    h.eng.set_scheduler(scheduled.append)
    h.feed(_snapshot("99.90", "100.10"))
    # the orders are out, their events are not: one flush is scheduled
    assert [m.msg_type for m in h.wire.sent] == ["D"] * 6
    assert h.of("market") == [] and len(scheduled) == 1 and len(h.events) == n0
    assert scheduled[0]() == len(h.events) - n0 > 0
    assert h.eng.flush_events() == 0  # nothing twice
    h.ack_all()
    assert len(scheduled) == 2
    h.eng.set_scheduler(None)  # flushes what is queued, then publishes at once
    assert len(scheduled) == 2

    # the same events, in the same order, with the same numbers as without deferral
    def strip(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "ts_init"} for e in events[n0:]]

    assert strip(h.events) == strip(immediate.events)
    assert [e["seq"] for e in h.events] == list(range(1, len(h.events) + 1))
    assert h.events[n0]["type"] == "market" and h.of("quote")
    h.feed(_snapshot("99.80", "100.00"))
    assert h.of("market")[-1]["bid_px"] == Decimal("99.80")  # at once again


class MiniVenue:
    """Others' fixed book plus our orders as the venue would show them, for `Harness`.

    Each round: take what the quoter sent, apply it, publish the whole book (a
    35=W: others + ours per price) *before* acknowledging -- the order in which,
    with no latency, a venue's book update overtakes our acks.
    """

    def __init__(self, h: Harness, bids: dict[str, int], asks: dict[str, int]) -> None:
        self.h = h
        self.others = {"0": bids, "1": asks}
        self.ours: dict[str, tuple[str, str, int]] = {}  # cid -> (side 0/1, px, qty)
        self.t = 0

    def _book(self) -> RawMessage:
        self.t += 1
        d, tm = "20261123", f"09:00:{self.t:02d}.000000"
        levels: dict[tuple[str, str], int] = {}
        for side, book in self.others.items():
            for px, q in book.items():
                levels[(side, px)] = levels.get((side, px), 0) + q
        for side, px, q in self.ours.values():
            levels[(side, px)] = levels.get((side, px), 0) + q
        entries: list[tuple[int, str]] = []
        for (side, px), q in levels.items():
            entries += [(269, side), (270, px), (271, str(q)), (272, d), (273, tm)]
        return _msg("W", [(262, "md"), (55, "ABC"), (268, str(len(levels))), *entries])

    def round(self) -> int:
        """One exchange; how many orders the quoter had sent."""
        sent = self.h.wire.take()
        acks: list[RawMessage] = []
        ts = f"20261123-09:00:{self.t:02d}.500000"
        for m in sent:
            v = m.values
            side = "0" if v[54] == "1" else "1"
            common = [(17, "e"), (54, v[54]), (14, "0"), (6, "0"), (60, ts)]
            if m.msg_type == "D":
                self.ours[v[11]] = (side, v[44], int(Decimal(v[38])))
                body = [(37, "V" + v[11]), (11, v[11]), (150, "0"), (39, "0"), (151, v[38])]
            elif m.msg_type == "G":
                del self.ours[v[41]]
                self.ours[v[11]] = (side, v[44], int(Decimal(v[38])))
                body = [(37, "V"), (11, v[11]), (41, v[41]), (150, "5"), (39, "0")]
                body += [(151, v[38]), (38, v[38]), (44, v[44])]
            else:  # F
                self.ours.pop(v[41], None)
                body = [(37, "V"), (11, v[11]), (41, v[41]), (150, "4"), (39, "4"), (151, "0")]
            acks.append(_msg("8", body + common))
        self.h.feed(self._book())
        for a in acks:
            self.h.feed(a)
        return len(sent)


def _chase(exclude_own: bool) -> tuple[list[int], list[tuple[str, ...]]]:
    cfg = _config(
        pricing={"fair_value": "microprice", "spread": {"model": "fixed", "spread_ticks": 10}},
        ladder={"levels": 1, "qty": "100"},
        requote={"tolerance_ticks": 0},
    )
    h = Harness(cfg)
    h.eng.exclude_own = exclude_own
    # a heavy offer: microprice 99.92, so our 10-tick quote improves the offer only
    venue = MiniVenue(h, {"99.90": 100}, {"100.10": 900})
    h.feed(venue._book())
    counts, quotes = [], []
    for _ in range(12):
        counts.append(venue.round())
        quotes.append(tuple(sorted(px for _, px, _ in venue.ours.values())))
    return counts, quotes


def test_fair_value_leaves_our_own_orders_out_and_does_not_chase_them() -> None:
    counts, quotes = _chase(exclude_own=True)
    # the first quote (around the others' microprice 99.92) is placed, and kept:
    # the book showing it before the acks does not move the fair value
    assert counts[0] == 2 and sum(counts[1:]) == 0
    assert quotes[-1] == ("99.87", "99.97")
    # counting our own orders in the microprice, the quote walks up after itself
    counts_in, quotes_in = _chase(exclude_own=False)
    assert sum(1 for c in counts_in[1:] if c) >= 3
    assert max(Decimal(px) for q in quotes_in for px in q) >= Decimal("100.00")
