"""Order intents and the order-state machine."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mmsla.domain import Side
from quoter.intents import (
    TERMINAL_STATES,
    TRANSITIONS,
    IllegalTransitionError,
    Instrument,
    OrderEvent,
    OrderIntent,
    OrderState,
    TimeInForce,
    to_lots,
    to_ticks,
    transition,
)

ABC = Instrument("ABC", Decimal("0.01"), Decimal("0.001"))
S, E = OrderState, OrderEvent


def test_intent_decimal_round_trip_is_exact() -> None:
    i = OrderIntent.from_decimal("c1", ABC, Side.BUY, Decimal("100.07"), Decimal("0.125"))
    assert (i.px_ticks, i.qty_lots) == (10007, 125)
    assert i.px == Decimal("100.07") and i.qty == Decimal("0.125")
    assert i.symbol == "ABC" and i.tif is TimeInForce.GTC and not i.post_only


def test_off_grid_price_and_size_are_refused() -> None:
    with pytest.raises(ValueError, match=r"not a multiple of 0\.01"):
        to_ticks(Decimal("100.005"), ABC)
    with pytest.raises(ValueError, match=r"not a multiple of 0\.001"):
        to_lots(Decimal("0.0005"), ABC)
    with pytest.raises(ValueError, match="positive"):
        Instrument("X", Decimal(0), Decimal(1))


def test_happy_path_new_ack_partial_fill() -> None:
    s = transition(S.PENDING_NEW, E.ACCEPTED)
    assert s is S.LIVE
    s = transition(s, E.PARTIAL_FILL)
    assert s is S.PARTIALLY_FILLED
    s = transition(s, E.PARTIAL_FILL)
    assert s is S.PARTIALLY_FILLED
    assert transition(s, E.FILL) is S.FILLED


def test_cancel_path_and_fill_racing_a_cancel() -> None:
    assert transition(S.LIVE, E.CANCEL_SENT) is S.PENDING_CANCEL
    assert transition(S.PENDING_CANCEL, E.CANCELLED) is S.CANCELLED
    # a fill can arrive before the venue processes our cancel
    assert transition(S.PENDING_CANCEL, E.PARTIAL_FILL) is S.PENDING_CANCEL
    assert transition(S.PENDING_CANCEL, E.FILL) is S.FILLED


def test_rejected_cancel_or_replace_returns_to_resting_state() -> None:
    assert transition(S.PENDING_CANCEL, E.CANCEL_REJECTED) is S.LIVE
    assert transition(S.PENDING_CANCEL, E.CANCEL_REJECTED, filled_any=True) is S.PARTIALLY_FILLED
    assert transition(S.PENDING_REPLACE, E.REPLACE_REJECTED) is S.LIVE
    assert transition(S.PENDING_REPLACE, E.REPLACED, filled_any=True) is S.PARTIALLY_FILLED
    assert transition(S.PENDING_REPLACE, E.REPLACED) is S.LIVE


def test_ioc_remainder_cancelled_and_new_rejected() -> None:
    assert transition(S.PENDING_NEW, E.CANCELLED) is S.CANCELLED
    assert transition(S.PENDING_NEW, E.REJECTED) is S.REJECTED
    assert transition(S.PENDING_NEW, E.FILL) is S.FILLED


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (S.PENDING_NEW, E.CANCEL_SENT),  # no change before the venue acknowledged
        (S.PENDING_NEW, E.REPLACE_SENT),
        (S.PENDING_CANCEL, E.REPLACE_SENT),  # one in-flight change at a time
        (S.PENDING_REPLACE, E.CANCEL_SENT),
        (S.PENDING_CANCEL, E.REPLACED),
        (S.LIVE, E.ACCEPTED),
        (S.LIVE, E.CANCEL_REJECTED),
        (S.FILLED, E.PARTIAL_FILL),
        (S.CANCELLED, E.FILL),
        (S.REJECTED, E.ACCEPTED),
    ],
)
def test_illegal_transitions_raise(state: OrderState, event: OrderEvent) -> None:
    with pytest.raises(IllegalTransitionError, match=f"{event.value} in state {state.value}"):
        transition(state, event)


def test_table_is_complete_and_terminal_states_are_final() -> None:
    assert set(TRANSITIONS) == set(OrderState)
    for st in TERMINAL_STATES:
        assert TRANSITIONS[st] == {}
        for ev in OrderEvent:
            with pytest.raises(IllegalTransitionError):
                transition(st, ev)
    # every non-terminal state can reach a terminal state
    for st in set(OrderState) - TERMINAL_STATES:
        assert set(TRANSITIONS[st].values()) & TERMINAL_STATES
