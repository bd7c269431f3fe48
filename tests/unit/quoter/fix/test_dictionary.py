"""The compact FIX 4.4 dictionary agrees with QuickFIX's FIX44.xml when present."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from quoter.fix.dictionary import Dictionary, GroupDef

XML = Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml"


def test_compact_dictionary_basics() -> None:
    dd = Dictionary.fix44()
    assert dd.header_required == (8, 9, 34, 35, 49, 52, 56)
    assert sorted(dd.messages["D"].required) == [11, 40, 54, 60]
    assert dd.messages["i"].groups[296].groups[295].delimiter == 299
    assert dd.is_valid_tag(956) and not dd.is_valid_tag(5000) and not dd.is_valid_tag(0)


@pytest.mark.interop
def test_compact_dictionary_is_a_subset_of_quickfix_fix44_xml() -> None:
    if not XML.exists():
        pytest.skip("QuickFIX's FIX44.xml not installed (pip install -e '.[interop]')")
    ours, qf = Dictionary.fix44(), Dictionary.from_quickfix_xml(XML)
    installed = Dictionary.from_installed_quickfix()
    assert installed is not None and len(installed.messages) == len(qf.messages) == 93

    def same_group(g: GroupDef, q: GroupDef) -> None:
        assert g.members <= q.members and g.required == q.required
        assert g.delimiter == q.delimiter
        for t, sub in g.groups.items():
            same_group(sub, q.groups[t])

    for mt, m in ours.messages.items():
        q = qf.messages[mt]
        assert m.fields <= q.fields, mt
        assert m.required == q.required, mt
        for t, g in m.groups.items():
            same_group(g, q.groups[t])
    for tag, f in ours.fields.items():
        assert (f.name, f.type, f.enums) == (
            qf.fields[tag].name,
            qf.fields[tag].type,
            qf.fields[tag].enums,
        ), tag
