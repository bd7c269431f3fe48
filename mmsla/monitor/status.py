"""Render the running monitor's status file for `mmsla monitor status`.

The runner rewrites a JSON status file twice a second (atomic rename); this
module reads it and formats one line per symbol: valid now or why not,
presence so far today, invalid-time budget left, open breach, last event age.
Does not connect to the monitor or the store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmsla.errors import InputError

NS = 1_000_000_000


def read_status(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(p), "no monitor status file (is `mmsla monitor` running?)") from None
    except (OSError, ValueError) as e:
        raise InputError(str(p), f"unreadable monitor status: {e}") from None
    if not isinstance(data, dict) or "symbols" not in data:
        raise InputError(str(p), "not a monitor status file")
    return data


def _age(now_ns: int, then_ns: int | None) -> str:
    return "-" if then_ns is None else f"{(now_ns - then_ns) / NS:.1f}s"


def render(status: dict[str, Any], now_ns: int) -> str:
    """The status as a small table (plain text)."""
    head = (
        f"agreement {status.get('agreement')}  source {status.get('source')}  "
        f"seq {status.get('last_seq')}  events {status.get('events')}  "
        f"gaps {status.get('gaps')} (recovered {status.get('recovered')}, "
        f"lost {status.get('lost')})  rejected {status.get('rejected')}  "
        f"last event {_age(now_ns, status.get('last_event_wall_ns'))} ago"
        f"{'  FEED STALE' if status.get('stale') else ''}  "
        f"updated {_age(now_ns, status.get('updated_ns'))} ago"
    )
    rows = [["symbol", "day", "now", "presence", "budget left", "open breach"]]
    for s in status["symbols"]:
        if not s.get("eligible"):
            now = "off-window"
        else:
            now = "valid" if s["valid"] else "INVALID " + "+".join(s["reasons"])
        presence = "-" if s["presence_pct"] is None else f"{s['presence_pct']:.2f}%"
        budget = "-" if s["budget_left_s"] is None else f"{s['budget_left_s']:.1f}s"
        breach = "-"
        if s["breach_start_ns"] is not None:
            breach = "+".join(s["breach_reasons"])
            if s.get("last_event_ns") is not None:
                breach += f" for {(s['last_event_ns'] - s['breach_start_ns']) / NS:.1f}s"
        rows.append([s["symbol"], s["day"] or "-", now, presence, budget, breach])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([head, *lines])
