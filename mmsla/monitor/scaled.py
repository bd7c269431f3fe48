"""Decimal strings from events to scaled integers, exactly (no binary floats).

`scaled_int("101.25", 8) == 10125000000`. Raises `ValueError` when the text is
not a finite decimal or has more significant decimals than `scale` (it would
not be exact). Does not round, ever.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def scaled_int(text: str, scale: int) -> int:
    """`text` as an integer count of 10**-scale units; ValueError if inexact or malformed."""
    if not isinstance(text, str):
        if isinstance(text, int) and not isinstance(text, bool):
            return text * 10**scale
        raise ValueError(f"expected a decimal string, got {text!r}")
    whole, dot, frac = text.partition(".")
    plain = whole.lstrip("+-").isdigit() or whole in ("", "-")
    if "e" in text or "E" in text or not plain:
        return _slow(text, scale)
    if dot:
        if not frac.isdigit():
            return _slow(text, scale)
        if len(frac) > scale:
            extra = frac[scale:]
            if extra.strip("0"):
                raise ValueError(f"{text!r} has more than {scale} decimals")
            frac = frac[:scale]
    if whole in ("", "-", "+"):
        whole += "0"
    return int(whole + frac.ljust(scale, "0"))


def _slow(text: str, scale: int) -> int:
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a decimal: {text!r}") from None
    if not d.is_finite():
        raise ValueError(f"not finite: {text!r}")
    v = d.scaleb(scale)
    if v != v.to_integral_value():
        raise ValueError(f"{text!r} has more than {scale} decimals")
    return int(v)
