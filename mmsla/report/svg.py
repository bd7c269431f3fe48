"""Small vector charts as SVG text: a status timeline and step-line charts with a limit.

Made for print: greyscale-safe (black, greys, dashes and a hatch pattern, every
series labelled in a legend), fixed size in CSS pixels (A4 content width).
Long series are reduced to at most `buckets` time buckets keeping each bucket's
minimum and maximum, so spikes survive. Input is already in display units
(floats); x values are UTC ns and axis ticks come precomputed (`Tick`), so this
module knows nothing about time zones or obligations.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
WIDTH = 680
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 10, 22
INK, GREY, LIGHT, VALID = "#000", "#777", "#c8c8c8", "#9a9a9a"


@dataclass(frozen=True)
class Tick:
    ts_ns: int
    label: str


@dataclass(frozen=True, eq=False)
class Series:
    """A step series: value `y[k]` holds from `ts[k]` to the next point."""

    label: str
    ts: I64
    y: F64
    dash: str | None = None  # SVG stroke-dasharray, None = solid
    colour: str = INK


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _label(v: float) -> str:
    """An axis value: thousands separators for large values, 4 significant digits otherwise."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def minmax_buckets(ts: I64, y: F64, t0: int, t1: int, buckets: int) -> tuple[I64, F64]:
    """At most 2 points per time bucket over [t0, t1): the bucket's min and max, in time order
    of bucket; the value in force at t0 is kept as the first point. NaNs are gaps (dropped)."""
    keep = ~np.isnan(y)
    ts, y = ts[keep], y[keep]
    if ts.size <= 2 * buckets or t1 <= t0:
        return ts, y
    k = np.clip((ts - t0) * buckets // (t1 - t0), 0, buckets - 1)
    first = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    lo = np.minimum.reduceat(y, first)
    hi = np.maximum.reduceat(y, first)
    width = (t1 - t0) // buckets
    starts = t0 + k[first] * width
    out_t = np.empty(first.size * 2, np.int64)
    out_y = np.empty(first.size * 2, np.float64)
    out_t[0::2], out_t[1::2] = np.maximum(starts, ts[first]), starts + width // 2
    out_y[0::2], out_y[1::2] = lo, hi
    return out_t, out_y


def covered_ns(starts: I64, ends: I64, edges: I64) -> I64:
    """Length of the union of sorted disjoint intervals [starts, ends) before each edge."""
    if starts.size == 0:
        return np.zeros(edges.size, np.int64)
    dur = ends - starts
    cum = np.concatenate([[0], np.cumsum(dur)])
    k = np.searchsorted(starts, edges, side="right") - 1
    ok = k >= 0
    kk = np.maximum(k, 0)
    part = np.clip(edges - starts[kk], 0, dur[kk])
    return np.where(ok, cum[kk] + part, 0).astype(np.int64)


def _x(ts: I64 | int, t0: int, t1: int) -> F64:
    span = max(t1 - t0, 1)
    return np.asarray(LEFT + (np.asarray(ts, np.float64) - t0) / span * (WIDTH - LEFT - RIGHT))


def _axis(ticks: Sequence[Tick], t0: int, t1: int, y_bottom: float, height: float) -> list[str]:
    out = [
        f'<line x1="{LEFT}" y1="{_fmt(y_bottom)}" x2="{WIDTH - RIGHT}" '
        f'y2="{_fmt(y_bottom)}" stroke="{INK}" stroke-width="0.6"/>'
    ]
    for t in ticks:
        x = float(_x(t.ts_ns, t0, t1))
        out.append(
            f'<line x1="{_fmt(x)}" y1="{_fmt(y_bottom)}" x2="{_fmt(x)}" '
            f'y2="{_fmt(y_bottom + 3)}" stroke="{INK}" stroke-width="0.6"/>'
        )
        out.append(
            f'<text x="{_fmt(x)}" y="{_fmt(y_bottom + 12)}" font-size="8" '
            f'text-anchor="middle">{escape(t.label)}</text>'
        )
    return out


def _svg(height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{_fmt(height)}" '
        f'viewBox="0 0 {WIDTH} {_fmt(height)}" role="img" font-family="DejaVu Sans, sans-serif">'
        f"<title>{escape(title)}</title>"
        '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="4" stroke="#555" '
        'stroke-width="1"/></pattern></defs>' + "".join(body) + "</svg>"
    )


def status_timeline(
    title: str,
    t0: int,
    t1: int,
    starts: I64,
    ends: I64,
    valid: npt.NDArray[np.bool_],
    ticks: Sequence[Tick],
    buckets: int = 300,
) -> str:
    """A bar over [t0, t1): per bucket the shares of valid (grey), invalid (black) and
    excluded (hatched) time, stacked; exact at the bucket resolution."""
    edges = np.linspace(t0, t1, buckets + 1).astype(np.int64)
    v = np.diff(covered_ns(starts[valid], ends[valid], edges))
    bad = ~valid
    i = np.diff(covered_ns(starts[bad], ends[bad], edges))
    width = np.diff(edges).astype(np.float64)
    bar_top, bar_h = 4.0, 22.0
    body = []
    xs = _x(edges, t0, t1)
    body.append(
        f'<rect x="{LEFT}" y="{bar_top}" width="{WIDTH - LEFT - RIGHT}" '
        f'height="{bar_h}" fill="url(#hatch)" stroke="{INK}" stroke-width="0.6"/>'
    )
    # shares rounded to 1/100 of the bar; equal neighbouring buckets become one rectangle
    fv_all = np.round(v / width * 100) / 100
    fi_all = np.round(i / width * 100) / 100
    fi_all[(i > 0) & (fi_all == 0)] = 0.01  # a short breach stays visible
    change = np.flatnonzero(
        np.concatenate([[True], (fv_all[1:] != fv_all[:-1]) | (fi_all[1:] != fi_all[:-1])])
    )
    bounds = np.append(change, buckets)
    # Two filled step areas, each one <path> of H/V moves (a run costs ~3 numbers instead
    # of a rectangle subpath per run and colour): invalid from the bar's bottom up, valid
    # stacked on it. weasyprint parses and draws path data in Python, so fewer numbers and
    # subpaths render faster; the picture is the same runs at the same heights.
    bottom = bar_top + bar_h
    xb = [f"{float(x):.2f}" for x in xs[bounds]]
    y_inv = [f"{bottom - bar_h * float(fi_all[a]):.2f}" for a in bounds[:-1].tolist()]
    y_val = [f"{bottom - bar_h * float(fi_all[a] + fv_all[a]):.2f}" for a in bounds[:-1].tolist()]
    runs = range(len(y_inv))
    if fi_all.any():
        top = "".join(f"V{y_inv[k]}H{xb[k + 1]}" for k in runs)
        body.append(f'<path d="M{xb[0]} {bottom:.2f}{top}V{bottom:.2f}Z" fill="{INK}"/>')
    if fv_all.any():
        top = "".join(f"V{y_val[k]}H{xb[k + 1]}" for k in runs)
        back = "".join(f"V{y_inv[k]}H{xb[k]}" for k in reversed(runs))
        body.append(f'<path d="M{xb[0]} {y_inv[0]}{top}{back}Z" fill="{VALID}"/>')
    body.append(f'<text x="2" y="{bar_top + 14}" font-size="8">status</text>')
    body += _axis(ticks, t0, t1, bar_top + bar_h, bar_h)
    lx = LEFT
    ly = bar_top + bar_h + 26
    for label, fill in (
        ("valid", VALID),
        ("invalid (breach)", INK),
        ("excluded / not eligible", "url(#hatch)"),
    ):
        body.append(
            f'<rect x="{lx}" y="{ly - 8}" width="12" height="9" fill="{fill}" '
            f'stroke="{INK}" stroke-width="0.4"/>'
        )
        body.append(f'<text x="{lx + 16}" y="{ly}" font-size="8">{escape(label)}</text>')
        lx += 140
    return _svg(ly + 4, body, title)


def step_chart(
    title: str,
    t0: int,
    t1: int,
    series: Sequence[Series],
    ticks: Sequence[Tick],
    *,
    y_label: str,
    limit: float | None = None,
    limit_label: str | None = None,
    shade: Sequence[tuple[int, int]] = (),
    shade_label: str | None = None,
    height: int = 112,
    buckets: int = 320,
) -> str:
    """Step lines over [t0, t1] with an optional horizontal limit (dashed) and shaded spans."""
    reduced = [minmax_buckets(s.ts, s.y, t0, t1, buckets) for s in series]
    values = [y for _, y in reduced if y.size]
    lo = min([float(np.min(v)) for v in values] + ([limit] if limit is not None else []), default=0)
    hi = max([float(np.max(v)) for v in values] + ([limit] if limit is not None else []), default=1)
    lo = min(lo, 0.0)
    if hi <= lo:
        hi = lo + 1.0
    hi += (hi - lo) * 0.08
    plot_h = height - TOP - BOTTOM - 14

    def y_of(v: F64 | float) -> F64:
        return np.asarray(TOP + plot_h - (np.asarray(v, np.float64) - lo) / (hi - lo) * plot_h)

    body = []
    for a, b in shade:
        xa, xb = float(_x(max(a, t0), t0, t1)), float(_x(min(b, t1), t0, t1))
        if xb > xa:
            body.append(
                f'<rect x="{xa:.2f}" y="{TOP}" width="{xb - xa:.2f}" height="{plot_h}" '
                f'fill="url(#hatch)" opacity="0.45"/>'
            )
    for frac in (0.0, 0.5, 1.0):
        v = lo + (hi - lo) * frac
        y = float(y_of(v))
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{LIGHT}" stroke-width="0.5"/>'
        )
        body.append(
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" font-size="8" text-anchor="end">'
            f"{_label(v)}</text>"
        )
    body.append(
        f'<text x="10" y="{TOP + plot_h / 2:.1f}" font-size="8" text-anchor="middle" '
        f'transform="rotate(-90 10 {TOP + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    for s, (ts, ys_raw) in zip(series, reduced, strict=True):
        if ts.size == 0:
            continue
        xs = _x(ts, t0, t1)
        ys = y_of(ys_raw)
        if s.ts.size <= 2 * buckets:  # step: horizontal to the next x, then vertical
            px = np.append(np.repeat(xs, 2)[1:], WIDTH - RIGHT)
            py = np.append(np.repeat(ys, 2)[:-1], ys[-1])
        else:  # already one min/max pair per bucket (about a pixel): join the points
            px, py = xs, ys
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        body.append(
            f'<polyline points="{pts}" fill="none" stroke="{s.colour}" stroke-width="0.7"{dash}/>'
        )
    if limit is not None:
        y = float(y_of(limit))
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{INK}" stroke-width="1.4" stroke-dasharray="6 3"/>'
        )
    body += _axis(ticks, t0, t1, TOP + plot_h, plot_h)
    lx, ly = LEFT, height - 4
    items: list[tuple[str, str, str | None, float]] = [
        (s.label, s.colour, s.dash, 0.9) for s in series
    ]
    if limit is not None:
        items.append((limit_label or "limit", INK, "6 3", 1.4))
    for label, colour, item_dash, sw in items:
        d = f' stroke-dasharray="{item_dash}"' if item_dash else ""
        body.append(
            f'<line x1="{lx}" y1="{ly - 3}" x2="{lx + 18}" y2="{ly - 3}" '
            f'stroke="{colour}" stroke-width="{sw}"{d}/>'
        )
        body.append(f'<text x="{lx + 22}" y="{ly}" font-size="8">{escape(label)}</text>')
        lx += 30 + 5 * len(label)
    if shade and shade_label:
        body.append(
            f'<rect x="{lx}" y="{ly - 8}" width="12" height="9" fill="url(#hatch)" '
            f'stroke="{INK}" stroke-width="0.4"/>'
        )
        body.append(f'<text x="{lx + 16}" y="{ly}" font-size="8">{escape(shade_label)}</text>')
    return _svg(height, body, title)


def as_img(svg: str, alt: str) -> str:
    """An `<img>` tag holding `svg` as a data URI: weasyprint then parses the chart with its
    SVG reader instead of running the HTML parser and the CSS cascade over every element."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="svg" alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}">'
