from __future__ import annotations

from pathlib import Path

import pytest

from mmsla.errors import InputError
from mmsla.research.option_chain import read_chain

HEAD = "underlying,underlying_last, exchange,type,expiration,quotedate,strike,bid,ask,impliedvol\n"


def _write(tmp_path: Path, body: str, head: str = HEAD) -> Path:
    p = tmp_path / "chain.csv"
    p.write_bytes(("\ufeff" + head + body).encode("utf-8"))
    return p


def test_reads_bom_and_spaced_headers(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "SPXW,2700,W,call,01/31/2018,01/03/2018,2700,20.5,21.5,0.07\n"
        "SPXW,2700,W,put,01/31/2018,01/03/2018,2700,18.0,19.0,0.075\n"
        "SPXW,2710,W,put,02/28/2018,01/03/2018,2700,30.0,31.0,0.08\n",
    )
    (a, b) = read_chain(p)
    assert (a.quote_date, a.expiry, len(a)) == ("2018-01-03", "2018-01-31", 2)
    assert a.t_y == pytest.approx(28 / 365)
    assert a.is_call.tolist() == [True, False]
    assert a.vendor_iv is not None and a.vendor_iv.tolist() == [0.07, 0.075]
    assert b.expiry == "2018-02-28" and b.underlying == 2710


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing column"):
        read_chain(_write(tmp_path, "x\n", head="a,b\n"))
    with pytest.raises(InputError, match=r"chain.csv:3: column type"):
        read_chain(
            _write(
                tmp_path,
                "SPXW,2700,W,call,01/31/2018,01/03/2018,2700,20.5,21.5,0.07\n"
                "SPXW,2700,W,straddle,01/31/2018,01/03/2018,2700,20.5,21.5,0.07\n",
            )
        )
    with pytest.raises(InputError, match="bad date"):
        read_chain(_write(tmp_path, "SPXW,2700,W,call,2018-01-31,01/03/2018,2700,1,2,0.1\n"))
    with pytest.raises(InputError, match="not a number"):
        read_chain(_write(tmp_path, "SPXW,2700,W,call,01/31/2018,01/03/2018,2700,abc,2,0.1\n"))
    with pytest.raises(InputError, match="no such file"):
        read_chain(tmp_path / "absent.csv")
