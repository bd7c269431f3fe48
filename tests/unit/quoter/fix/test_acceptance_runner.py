"""The .def runner's fixify and comparator behave like QuickFIX's Ruby ones."""

from __future__ import annotations

from quoter.fix.acceptance_runner import compare, fixify

SOH = "\x01"


def _m(text: str) -> str:
    return text.replace("|", SOH)


def test_fixify_adds_length_and_checksum() -> None:
    line = _m("8=FIX.4.4|35=5|34=3|49=ISLD|52=00000000-00:00:00.000|56=TW44|")
    out = fixify(line)
    assert out.startswith(_m("8=FIX.4.4|9=51|35=5|"))
    body = out[: out.index(SOH + "10=") + 1].encode()
    assert out.endswith(f"10={sum(body) % 256:03d}{SOH}")


def test_fixify_keeps_given_checksum_with_quickfix_length_quirk() -> None:
    out = fixify(_m("8=FIX.4.4|35=0|34=2|49=TW44|52=20250101-00:00:00|56=ISLD|10=256|"))
    real = len(_m("35=0|34=2|49=TW44|52=20250101-00:00:00|56=ISLD|"))
    assert out.startswith(_m(f"8=FIX.4.4|9={real - 1}|")) and out.endswith(_m("10=256|"))


def test_compare_is_strict_except_regex_fields() -> None:
    exp = fixify(_m("8=FIX.4.4|9=51|35=5|34=3|49=ISLD|52=00000000-00:00:00.000|56=TW44|10=0|"))
    ok = _m("8=FIX.4.4|9=51|35=5|34=3|49=ISLD|52=20250101-10:00:00.123|56=TW44|10=123|")
    assert compare(exp, ok) is None
    assert compare(exp, ok.replace("34=3", "34=4")) is not None
    swapped = _m("8=FIX.4.4|9=51|35=5|34=3|52=20250101-10:00:00.123|49=ISLD|56=TW44|10=123|")
    assert "order" in (compare(exp, swapped) or "")
    assert compare(exp, ok.replace("52=20250101-10:00:00.123", "52=bad")) is not None
    assert "count" in (compare(exp, ok.replace(f"56=TW44{SOH}", f"56=TW44{SOH}58=x{SOH}")) or "")
