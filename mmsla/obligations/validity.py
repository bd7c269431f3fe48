"""Per-instant quote validity: the one rule evaluator the batch and streaming drivers share.

`validity_mask(book, terms, ...)` takes columnar arrays (one row per instant or
per quote row) and returns a uint16 reason mask per row (`Reason.bit`; 0 =
valid). Every comparison is exact and inclusive integer cross-multiplication,
e.g. a bps spread is `(ask - bid) * 20000 * den <= num * (ask + bid)`. Works on
what it is given: it does not look up market data or states by time.

Conventions (DESIGN.md section 6):
- NO_QUOTE: no row yet, or neither side present; ONE_SIDED: exactly one side (when two_sided).
- CROSSED: both sides and bid >= ask.
- A term referring to the market (market_mid) fails with its own reason while no
  two-sided market reference is known at that instant.
- min_size notional: qty >= ceil(notional / price) at the file's size resolution,
  which for an integer count of size units is exactly `qty * price >= notional`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from mmsla.domain.agreement import Terms
from mmsla.domain.reasons import Reason
from mmsla.obligations.exact import IntArray, maxabs, ratio, widen

Mask = npt.NDArray[np.uint16]
Bools = npt.NDArray[np.bool_]

NO_QUOTE = Reason.NO_QUOTE.bit
ONE_SIDED = Reason.ONE_SIDED.bit
CROSSED = Reason.CROSSED.bit
SPREAD_TOO_WIDE = Reason.SPREAD_TOO_WIDE.bit
SIZE_BELOW_MIN = Reason.SIZE_BELOW_MIN.bit
SIZE_DIVERGENCE = Reason.SIZE_DIVERGENCE.bit
DEPTH_BELOW_MIN = Reason.DEPTH_BELOW_MIN.bit
OUT_OF_BAND = Reason.OUT_OF_BAND.bit


@dataclass(frozen=True)
class Book:
    """Our quote per row: (n, levels) int64 arrays, best level first; qty 0 = absent level.

    `has_row` False means no quote-log row yet at that instant (NO_QUOTE).
    Prices are ints / 10**px_scale, sizes ints / 10**qty_scale.
    """

    bid_px: IntArray
    bid_qty: IntArray
    ask_px: IntArray
    ask_qty: IntArray
    px_scale: int
    qty_scale: int
    has_row: Bools | None = None

    def __len__(self) -> int:
        return int(self.bid_px.shape[0])


@dataclass(frozen=True)
class MarketAt:
    """The market best bid/offer per row, prices at the same scale as the `Book`."""

    bid_px: IntArray
    ask_px: IntArray
    bid_ok: Bools
    ask_ok: Bools


def _bool(values: IntArray) -> Bools:
    """Comparison result as a real bool array (object arrays compare to objects)."""
    return np.asarray(values, dtype=bool)


def _top(values: IntArray) -> int:
    """Largest value of a non-negative array, 1 when empty (for overflow bounds)."""
    return int(values.max()) if values.size else 1


def _mult(stressed: Bools | None, n: int, factor: Decimal) -> tuple[IntArray, IntArray]:
    """Per-row multiplier (num, den): `factor` while stressed, else 1."""
    num, den = ratio(factor)
    if stressed is None or (num == den):
        return np.ones(n, np.int64), np.ones(n, np.int64)
    return np.where(stressed, num, 1).astype(np.int64), np.where(stressed, den, 1).astype(np.int64)


def _reference(
    reference: str, bid: IntArray, ask: IntArray, market: MarketAt | None, n: int
) -> tuple[IntArray, int, Bools]:
    """(R, f, known): the reference price is R / f; `known` False where it is unavailable."""
    if reference == "own_mid":
        return bid + ask, 2, np.ones(n, bool)
    if reference == "bid":
        return bid, 1, np.ones(n, bool)
    if reference == "ask":
        return ask, 1, np.ones(n, bool)
    if market is None:
        return np.zeros(n, np.int64), 2, np.zeros(n, bool)
    known = market.bid_ok & market.ask_ok
    return np.where(known, market.bid_px + market.ask_px, 0), 2, known


CHUNK_ROWS = 1 << 16  # rows per block: keeps temporaries in cache and memory flat


def validity_mask(
    book: Book,
    terms: Terms,
    *,
    tick_size: Decimal | None = None,
    market: MarketAt | None = None,
    stressed: Bools | None = None,
    spread_multiplier: Decimal = Decimal(1),
    size_multiplier: Decimal = Decimal(1),
) -> Mask:
    """Reason bit mask per row (0 = valid) for every per-instant term in `terms`.

    Evaluated in blocks of `CHUNK_ROWS` rows; each block is independent.
    """
    n = len(book)
    if n <= CHUNK_ROWS:
        return _block(book, terms, tick_size, market, stressed, spread_multiplier, size_multiplier)
    out = np.empty(n, np.uint16)
    for lo in range(0, n, CHUNK_ROWS):
        hi = min(lo + CHUNK_ROWS, n)
        out[lo:hi] = _block(
            book_rows(book, slice(lo, hi)),
            terms,
            tick_size,
            None if market is None else market_rows(market, slice(lo, hi)),
            None if stressed is None else stressed[lo:hi],
            spread_multiplier,
            size_multiplier,
        )
    return out


def book_rows(book: Book, rows: slice | npt.NDArray[np.intp]) -> Book:
    """The rows `rows` of a book (a view for a slice, a gather for an index array)."""
    return Book(
        book.bid_px[rows],
        book.bid_qty[rows],
        book.ask_px[rows],
        book.ask_qty[rows],
        book.px_scale,
        book.qty_scale,
        None if book.has_row is None else book.has_row[rows],
    )


def market_rows(market: MarketAt, rows: slice | npt.NDArray[np.intp]) -> MarketAt:
    return MarketAt(
        market.bid_px[rows], market.ask_px[rows], market.bid_ok[rows], market.ask_ok[rows]
    )


def _block(
    book: Book,
    terms: Terms,
    tick_size: Decimal | None,
    market: MarketAt | None,
    stressed: Bools | None,
    spread_multiplier: Decimal,
    size_multiplier: Decimal,
) -> Mask:
    n = len(book)
    ps, qs = book.px_scale, book.qty_scale
    mask = np.zeros(n, np.uint16)
    bid, ask = book.bid_px[:, 0], book.ask_px[:, 0]
    bq, aq = book.bid_qty[:, 0], book.ask_qty[:, 0]
    has_row = np.ones(n, bool) if book.has_row is None else book.has_row
    bid_ok = has_row & (bq > 0)
    ask_ok = has_row & (aq > 0)
    both = bid_ok & ask_ok
    mask[~bid_ok & ~ask_ok] |= NO_QUOTE
    if terms.two_sided:
        mask[bid_ok ^ ask_ok] |= ONE_SIDED
    mask[both & (bid >= ask)] |= CROSSED
    px_max = maxabs(bid, ask, *(() if market is None else (market.bid_px, market.ask_px)))

    if terms.max_spread is not None:
        ms = terms.max_spread
        vn, vd = ratio(ms.value)
        mn, md = _mult(stressed, n, spread_multiplier)
        if ms.unit in ("abs", "ticks"):
            tn, td = ratio(tick_size) if ms.unit == "ticks" and tick_size is not None else (1, 1)
            const = vd * td
            bound = px_max * 2 * const * _top(md) + vn * tn * 10**ps * _top(mn)
            s, m_n, m_d = widen(bound, ask - bid, mn, md)
            ok = _bool(s * const * m_d <= m_n * (vn * tn * 10**ps))
            known = np.ones(n, bool)
        else:
            per = 10_000 if ms.unit == "bps" else 100
            ref, f, known = _reference(ms.reference, bid, ask, market, n)
            const = per * f * vd
            bound = px_max * 2 * (const + vn) * max(_top(mn), _top(md))
            s, r, m_n, m_d = widen(bound, ask - bid, ref, mn, md)
            ok = _bool(s * const * m_d <= m_n * vn * r)
        mask[both & ~(ok & known)] |= SPREAD_TOO_WIDE

    if terms.min_size is not None:
        mz = terms.min_size
        sn, sd = _mult(stressed, n, size_multiplier)
        if mz.qty is not None:
            qn, qd = ratio(mz.qty)
            bound = maxabs(bq, aq) * qd * _top(sd) + qn * 10**qs * _top(sn)
            b_q, a_q, s_n, s_d = widen(bound, bq, aq, sn, sd)
            rhs = s_n * (qn * 10**qs)
            low_b = _bool(b_q * qd * s_d < rhs)
            low_a = _bool(a_q * qd * s_d < rhs)
        else:
            assert mz.notional is not None
            nn, nd = ratio(mz.notional)
            need = nn * 10 ** (ps + qs)
            bound = px_max * maxabs(bq, aq) * nd * _top(sd) + need * _top(sn)
            b_q, a_q, b_p, a_p, s_n, s_d = widen(bound, bq, aq, bid, ask, sn, sd)
            rhs = s_n * (nn * 10 ** (ps + qs))
            low_b = _bool(b_q * b_p * nd * s_d < rhs)
            low_a = _bool(a_q * a_p * nd * s_d < rhs)
        mask[(bid_ok & low_b) | (ask_ok & low_a)] |= SIZE_BELOW_MIN

    if terms.max_size_divergence is not None:
        dv = terms.max_size_divergence
        pn, pd = ratio(dv.pct)
        bound = maxabs(bq, aq) * 2 * (100 * pd + pn)
        b_q, a_q = widen(bound, bq, aq)
        diff = np.abs(b_q - a_q)
        if dv.denominator == "smaller":
            ok = _bool(diff * (100 * pd) <= pn * np.minimum(b_q, a_q))
        elif dv.denominator == "larger":
            ok = _bool(diff * (100 * pd) <= pn * np.maximum(b_q, a_q))
        else:
            ok = _bool(diff * (200 * pd) <= pn * (b_q + a_q))
        mask[both & ~ok] |= SIZE_DIVERGENCE

    if terms.depth is not None:
        dp = terms.depth
        bn, bd = ratio(dp.band_pct)
        nn, nd = ratio(dp.min_notional)
        ref, f, known = _reference(dp.reference, bid, ask, market, n)
        levels = book.bid_px.shape[1]
        qty_max = maxabs(book.bid_qty, book.ask_qty)
        bound = max(
            px_max * 2 * f * 100 * bd + px_max * 2 * (100 * bd + bn),
            px_max * qty_max * levels * nd + nn * 10 ** (ps + qs),
        )
        bpx, bqt, apx, aqt, r = widen(
            bound, book.bid_px, book.bid_qty, book.ask_px, book.ask_qty, ref
        )
        r2 = r[:, None]
        in_bid = _bool((bqt > 0) & (bpx * (f * 100 * bd) >= r2 * (100 * bd - bn)))
        in_ask = _bool((aqt > 0) & (apx * (f * 100 * bd) <= r2 * (100 * bd + bn)))
        need = nn * 10 ** (ps + qs)
        bid_notional = (np.where(in_bid, bpx * bqt, 0)).sum(axis=1)
        ask_notional = (np.where(in_ask, apx * aqt, 0)).sum(axis=1)
        ok = _bool((bid_notional * nd >= need) & (ask_notional * nd >= need)) & known
        mask[has_row & (bid_ok | ask_ok) & ~ok] |= DEPTH_BELOW_MIN

    if terms.price_band is not None:
        pb = terms.price_band
        pn, pd = ratio(pb.pct)
        ref, f, known = _reference(pb.reference, bid, ask, market, n)
        bound = px_max * 4 * (100 * pd + pn)
        b_p, a_p, r = widen(bound, bid, ask, ref)
        out_b = _bool(np.abs(b_p * f - r) * (100 * pd) > pn * r)
        out_a = _bool(np.abs(a_p * f - r) * (100 * pd) > pn * r)
        mask[(bid_ok & (out_b | ~known)) | (ask_ok & (out_a | ~known))] |= OUT_OF_BAND
    return mask
