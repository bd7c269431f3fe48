"""SVG chart helpers: bucket reduction keeps spikes, coverage equals a brute-force sum."""

from __future__ import annotations

import re

import numpy as np

from mmsla.report.svg import Series, Tick, covered_ns, minmax_buckets, status_timeline, step_chart


def test_minmax_buckets_keeps_spikes_and_bounds_points() -> None:
    ts = np.arange(200_000, dtype=np.int64) * 10
    y = np.zeros(200_000)
    y[123_457] = 99.0  # one-sample spike
    y[7] = -5.0
    out_t, out_y = minmax_buckets(ts, y, 0, 2_000_000, 1000)
    assert out_t.size <= 2000
    assert out_y.max() == 99.0 and out_y.min() == -5.0
    assert np.all(np.diff(out_t) >= 0)


def test_covered_ns_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    cuts = np.sort(rng.choice(10_000, 40, replace=False)).astype(np.int64)
    starts, ends = cuts[0::2], cuts[1::2]
    edges = np.sort(rng.integers(0, 10_000, 50)).astype(np.int64)
    got = covered_ns(starts, ends, edges)
    inside = np.zeros(10_000, bool)
    for a, b in zip(starts, ends, strict=True):
        inside[a:b] = True
    want = [int(inside[:e].sum()) for e in edges]
    assert got.tolist() == want


def test_charts_are_svg_with_labels() -> None:
    ts = np.asarray([0, 50, 100], np.int64)
    svg = step_chart(
        "t",
        0,
        100,
        [Series("our spread", ts, np.asarray([1.0, 3.0, 2.0]))],
        [Tick(0, "09:00")],
        y_label="bps",
        limit=2.5,
        limit_label="max 2.5",
    )
    assert svg.startswith("<svg") and "max 2.5" in svg and "09:00" in svg and "<polyline" in svg
    bar = status_timeline(
        "s", 0, 100, ts[:2], ts[1:], np.asarray([True, False]), [Tick(0, "09:00")], buckets=10
    )
    assert "invalid (breach)" in bar
    # the invalid half (50..100) is one black rectangle over the right half of the bar
    (black,) = re.findall(r'<path d="([^"]*)" fill="#000"/>', bar)
    assert black.count("M") == 1


def _area_by_colour(svg: str) -> dict[str, float]:
    """Shoelace area of each filled H/V step path (M x y, then V y / H x moves, Z)."""
    areas: dict[str, float] = {}
    for d, colour in re.findall(r'<path d="([^"]*)" fill="(#[0-9a-f]+)"/>', svg):
        toks = re.findall(r"[MVHZ]|-?\d+(?:\.\d+)?", d)
        pts: list[tuple[float, float]] = []
        k = 0
        while k < len(toks):
            cmd = toks[k]
            if cmd == "M":
                pts.append((float(toks[k + 1]), float(toks[k + 2])))
                k += 3
            elif cmd == "V":
                pts.append((pts[-1][0], float(toks[k + 1])))
                k += 2
            elif cmd == "H":
                pts.append((float(toks[k + 1]), pts[-1][1]))
                k += 2
            else:
                k += 1
        area = sum(
            x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True)
        )
        areas[colour] = abs(area) / 2
    return areas


def test_status_timeline_areas_are_the_time_shares() -> None:
    # valid 0..30, invalid 30..40, nothing (excluded) 40..60, valid 60..100
    starts = np.asarray([0, 30, 60], np.int64)
    ends = np.asarray([30, 40, 100], np.int64)
    bar = status_timeline(
        "s", 0, 100, starts, ends, np.asarray([True, False, True]), [], buckets=20
    )
    areas = _area_by_colour(bar)
    plot_w, bar_h = 680 - 56 - 12, 22.0
    assert abs(areas["#000"] - 0.10 * plot_w * bar_h) < 1.0
    assert abs(areas["#9a9a9a"] - 0.70 * plot_w * bar_h) < 1.0
    # one path per colour however many runs
    assert bar.count('fill="#000"/>') == 1 and bar.count('fill="#9a9a9a"/>') == 1
