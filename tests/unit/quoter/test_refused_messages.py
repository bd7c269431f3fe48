"""Our messages refused before the venue acted on them, over real in-process FIX sessions.

A venue's session layer answers a message it cannot accept with a Reject
(35=3, RefSeqNum), its application with a BusinessMessageReject (35=j); no
ExecutionReport follows either. The quoter must settle the order it was
waiting on (rejected, or a replace refused) so the level quotes again at the
next update, instead of waiting for an answer that never comes.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import yaml

from quoter.app import QuoterEngine
from quoter.config import QuoterConfig, build_config
from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.times import format_utc
from quoter.fix.dictionary import Dictionary
from quoter.fix.session import BaseApplication, BusinessReject, Session, SessionConfig
from quoter.intents import OrderState
from quoter.marketdata import quoter_dictionary
from tests.conftest import FIXTURES

EXAMPLE = FIXTURES / "quoter" / "quoter.yaml"


def _config() -> QuoterConfig:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["endpoints"] = {}
    data["output"] = {}
    data["ladder"] = {"levels": 1, "qty": "100"}
    data["requote"] = {"tolerance_ticks": 0}
    return build_config(data, base_dir=EXAMPLE.parent)


class Venue(BaseApplication):
    """Acknowledges new orders; refuses every cancel/replace at the application level."""

    def __init__(self) -> None:
        self.n = 0

    def on_message(self, session: Session, msg: RawMessage) -> None:
        v = msg.values
        if msg.msg_type == "G":
            raise BusinessReject(3, "replace not supported")  # -> 35=j, RefSeqNum only
        if msg.msg_type == "D":
            self.n += 1
            session.send(
                "8",
                [
                    (37, f"V{self.n}"),
                    (11, v[11]),
                    (17, f"E{self.n}"),
                    (150, "0"),
                    (39, "0"),
                    (55, v[55]),
                    (54, v[54]),
                    (151, v[38]),
                    (14, "0"),
                    (6, "0"),
                    (60, format_utc(time.time_ns(), "us")),
                ],
            )


class Pair:
    def __init__(self, venue_dictionary: Dictionary) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.eng = QuoterEngine(
            _config(),
            publish=lambda kind, ts, fields: self.events.append((kind, dict(fields))),
            id_prefix="T",
        )
        self.q = Session(SessionConfig("MM1", "VENUE"), self.eng, dictionary=quoter_dictionary())
        self.v = Session(
            SessionConfig("VENUE", "MM1", role="acceptor"), Venue(), dictionary=venue_dictionary
        )
        self.eng.session = self.q
        self.q.connection_made()
        self.v.connection_made()
        self.pump()
        assert self.q.is_logged_on and self.v.is_logged_on

    def pump(self) -> None:
        """Exchange until both sides are quiet."""
        while True:
            out = self.q.data_to_send()
            if out:
                self.v.data_received(out)
            back = self.v.data_to_send()
            if back:
                self.q.data_received(back)
            if not out and not back:
                return

    def book(self, bid: str, ask: str) -> None:
        ts = format_utc(time.time_ns(), "us")
        d, t = ts[:8], ts[9:]
        body = [(262, "md"), (55, "ABC"), (268, "2")]
        body += [(269, "0"), (270, bid), (271, "500"), (272, d), (273, t)]
        body += [(269, "1"), (270, ask), (271, "500"), (272, d), (273, t)]
        self.v.send("W", body)

    def refused(self) -> list[dict[str, Any]]:
        return [f for k, f in self.events if k == "risk" and f["decision"] == "message_refused"]


def _no_post_only(dd: Dictionary) -> Dictionary:
    """The venue's dictionary without ExecInst 6 (participate don't initiate)."""
    fields = dict(dd.fields)
    fields[18] = dataclasses.replace(fields[18], enums=frozenset({"1", "2", "5"}))
    return dataclasses.replace(dd, fields=fields, checks={}, enums={})


def test_new_orders_refused_by_the_session_layer_are_rejected_and_placed_again() -> None:
    p = Pair(_no_post_only(quoter_dictionary()))
    p.book("99.95", "100.05")
    p.pump()
    refused = p.refused()
    sent_d = sorted(f["ref_id"] for f in refused)
    assert len(refused) == 2 and {f["msg_type"] for f in refused} == {"D"}
    # SessionRejectReason 5 (value incorrect) on RefTagID 18, the message found by RefSeqNum
    assert all(f["reason_code"] == "5" and f["ref_tag"] == "18" for f in refused)
    assert all(p.q.sent_message(int(f["ref_seq"])).values[11] == f["ref_id"] for f in refused)
    assert all("Value is incorrect" in f["detail"] for f in refused)
    # each refused order is rejected (an `order` event) and nothing waits for an answer
    rejected = sorted(f["order_id"] for k, f in p.events if k == "order")
    assert rejected == sent_d
    assert p.eng.orders.live_orders() == [] and p.eng.risk.open_order_ids == frozenset()
    # the next book update quotes again (new ids), refused again the same way
    p.book("99.96", "100.06")
    p.pump()
    again = sorted(f["ref_id"] for f in p.refused()[2:])
    assert len(again) == 2 and set(again).isdisjoint(sent_d)
    assert p.q.is_logged_on and p.eng.stats["refused"] == 4


def test_a_replace_refused_by_the_venue_application_rests_as_before_and_moves_again() -> None:
    p = Pair(quoter_dictionary())
    p.book("99.95", "100.05")
    p.pump()
    live = p.eng.orders.live_orders("ABC")
    assert len(live) == 2 and all(o.state is OrderState.LIVE for o in live)
    prices = {o.client_id: o.px_ticks for o in live}
    p.book("99.99", "100.09")  # the quote moves: both sides are replaced, both refused
    p.pump()
    refused = p.refused()
    assert len(refused) == 2 and {f["msg_type"] for f in refused} == {"G"}
    # found from RefSeqNum alone (the venue's 35=j carries no BusinessRejectRefID)
    assert all(f["ref_seq"].isdigit() and f["reason_code"] == "3" for f in refused)
    statuses = [f["status"] for k, f in p.events if k == "order" and f["status"] != "accepted"]
    assert statuses == ["replace_rejected", "replace_rejected"]
    now = p.eng.orders.live_orders("ABC")
    assert {o.client_id: o.px_ticks for o in now} == prices
    assert all(o.state is OrderState.LIVE for o in now)
    # not blocked: the next update tries again
    p.book("100.00", "100.10")
    p.pump()
    assert len(p.refused()) == 4
