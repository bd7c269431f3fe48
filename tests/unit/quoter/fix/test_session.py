"""Session state machine driven in memory with a fake clock (no sockets)."""

from __future__ import annotations

from decimal import Decimal

from quoter.fix.codec.framing import FrameDecoder, RawMessage, encode, parse
from quoter.fix.codec.messages import NewOrderSingle
from quoter.fix.codec.times import format_utc
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.fix.store import MemoryStore

T0 = 1_750_000_000_000_000_000
S = 1_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


class Recorder(BaseApplication):
    def __init__(self) -> None:
        self.messages: list[RawMessage] = []
        self.events: list[str] = []

    def on_logon(self, session: Session) -> None:
        self.events.append("logon")

    def on_logout(self, session: Session) -> None:
        self.events.append("logout")

    def on_message(self, session: Session, msg: RawMessage) -> None:
        self.messages.append(msg)

    def on_disconnect(self, session: Session) -> None:
        self.events.append("disconnect")


def _pair(clock: Clock, **acc: object) -> tuple[Session, Session, Recorder, Recorder]:
    ia, aa = Recorder(), Recorder()
    ini = Session(SessionConfig("Q", "V", "initiator", heart_bt_int_s=10), ia, MemoryStore(), clock)
    accept = Session(SessionConfig("V", "Q", "acceptor", **acc), aa, MemoryStore(), clock)  # type: ignore[arg-type]
    return ini, accept, ia, aa


def _shuttle(a: Session, b: Session) -> None:
    for _ in range(20):
        x, y = a.data_to_send(), b.data_to_send()
        if not x and not y:
            return
        if x:
            b.data_received(x)
        if y:
            a.data_received(y)


def _frames(data: bytes) -> list[RawMessage]:
    return [parse(f) for f in FrameDecoder().feed(data)]


def _order(i: int) -> NewOrderSingle:
    return NewOrderSingle(f"c{i}", "ABC", "1", Decimal(10), "2", T0, price=Decimal("1.5"))


def test_logon_messages_and_logout_handshake() -> None:
    clock = Clock()
    ini, acc, ia, aa = _pair(clock)
    ini.connection_made()
    acc.connection_made()
    _shuttle(ini, acc)
    assert ini.is_logged_on and acc.is_logged_on
    assert ia.events == ["logon"] and aa.events == ["logon"]
    for i in range(3):
        ini.send_message(_order(i))
    _shuttle(ini, acc)
    assert [m.values[11] for m in aa.messages] == ["c0", "c1", "c2"]
    ini.logout()
    _shuttle(ini, acc)
    assert ini.disconnect_requested and acc.disconnect_requested
    assert acc.store.next_target_seq == ini.store.next_sender_seq == 6


def test_gap_triggers_resend_request_and_resent_messages_are_delivered_once() -> None:
    clock = Clock()
    ini, acc, _, aa = _pair(clock)
    ini.connection_made()
    acc.connection_made()
    _shuttle(ini, acc)
    ini.send_message(_order(0))
    lost = ini.data_to_send()  # seq 2 never arrives
    assert lost
    ini.send_message(_order(1))
    acc.data_received(ini.data_to_send())  # seq 3: too high
    reply = _frames(acc.data_to_send())
    assert [(m.msg_type, m.values[7], m.values[16]) for m in reply] == [("2", "2", "0")]
    assert aa.messages == []
    # deliver the ResendRequest to the initiator; it resends 2 (PossDup) and 3
    ini.data_received(
        encode(
            "FIX.4.4",
            "2",
            [(34, "2"), (49, "V"), (52, format_utc(T0)), (56, "Q")],
            [(7, "2"), (16, "0")],
        )
    )
    resent = ini.data_to_send()
    resent_msgs = _frames(resent)
    assert [(m.values[34], m.values.get(43)) for m in resent_msgs] == [("2", "Y"), ("3", "Y")]
    acc.data_received(resent)
    assert [m.values[11] for m in aa.messages] == ["c0", "c1"]
    assert acc.store.next_target_seq == 4


def test_heartbeat_test_request_then_disconnect_on_silence() -> None:
    clock = Clock()
    ini, acc, _, _ = _pair(clock)
    ini.connection_made()
    acc.connection_made()
    _shuttle(ini, acc)
    assert acc.heart_bt_int_s == 10
    assert acc.next_deadline_ns() == T0 + 10 * S
    clock.now = T0 + 10 * S
    acc.on_timer()
    assert [m.msg_type for m in _frames(acc.data_to_send())] == ["0"]
    clock.now = T0 + 12 * S
    acc.on_timer()
    sent = _frames(acc.data_to_send())
    assert [(m.msg_type, m.values.get(112)) for m in sent] == [("1", "TEST")]
    clock.now = T0 + 24 * S
    acc.on_timer()
    assert acc.disconnect_requested
    assert acc.last_error == "timed out waiting for heartbeat"


def test_acceptor_refuses_bad_credentials_and_heartbeat_interval() -> None:
    clock = Clock()
    for extra, why in [
        ({"credentials": {"u": "p"}}, "Invalid username or password"),
        ({}, "HeartBtInt must be between 1 and 300 seconds"),
    ]:
        acc = Session(SessionConfig("V", "Q", "acceptor", **extra), None, MemoryStore(), clock)  # type: ignore[arg-type]
        acc.connection_made()
        hbi = "30" if extra else "0"
        body = [(98, "0"), (108, hbi), (553, "u"), (554, "wrong")]
        acc.data_received(
            encode("FIX.4.4", "A", [(34, "1"), (49, "Q"), (52, format_utc(T0)), (56, "V")], body)
        )
        out = _frames(acc.data_to_send())
        assert [(m.msg_type, m.values.get(58)) for m in out] == [("5", why)]
        assert acc.disconnect_requested and not acc.is_logged_on


def test_cancel_on_disconnect_hook_runs_when_connection_drops() -> None:
    clock = Clock()
    ini, acc, _, aa = _pair(clock)
    ini.connection_made()
    acc.connection_made()
    _shuttle(ini, acc)
    acc.connection_lost()
    assert aa.events == ["logon", "logout", "disconnect"]


def test_daily_reset_starts_a_new_sequence_once_the_boundary_passed() -> None:
    from datetime import time as dtime

    clock = Clock()
    store = MemoryStore(created_ns=T0 - 86_400 * S)  # created yesterday
    store.set_next_sender_seq(42)
    store.set_next_target_seq(17)
    cfg = SessionConfig("Q", "V", "initiator", daily_reset_utc=dtime(0, 0))
    ini = Session(cfg, None, store, clock)
    ini.connection_made()
    logon = _frames(ini.data_to_send())[0]
    assert logon.values[34] == "1" and store.next_target_seq == 1
    store.set_next_sender_seq(5)
    ini.connection_made()  # same day: no second reset
    assert _frames(ini.data_to_send())[0].values[34] == "5"


def test_sent_frames_match_encode_and_sending_time_follows_the_clock() -> None:
    for precision, step in (("ms", 1_000_000), ("us", 1000), ("s", S), ("ns", 1)):
        clock = Clock()
        cfg = SessionConfig("Q", "V", sending_time_precision=precision)  # type: ignore[arg-type]
        s = Session(cfg, BaseApplication(), MemoryStore(), clock)
        s.received_logon = s.sent_logon = True
        body = [(11, "C1"), (55, "X")]
        for now in (T0, T0 + step // 2, T0 + step, T0 + step + 1, T0 - step, T0 + 86_400 * S):
            clock.now = now
            seq = s.send("D", body)
            frame = s.data_to_send()
            hdr = [(34, str(seq)), (49, "Q"), (52, format_utc(now, precision)), (56, "V")]
            assert frame == encode("FIX.4.4", "D", hdr, body), (precision, now)
        clock.now = T0 + 3 * step
        s.send("D", body, header=[(115, "ONBEHALF"), (43, "Y")])
        extra = [(34, "7"), (43, "Y"), (49, "Q"), (52, format_utc(T0 + 3 * step, precision))]
        extra += [(56, "V"), (115, "ONBEHALF")]
        assert s.data_to_send() == encode("FIX.4.4", "D", extra, body)
