"""Render a report context to HTML (jinja2) or PDF (weasyprint), written atomically.

Templates and the stylesheet live in `reports/templates/` (override with
$MMSLA_TEMPLATES). The output is written to a temporary file in the target
directory and renamed into place, so a failure leaves no half-written file.
Does not compute figures (see `mmsla.report.context`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import jinja2

from mmsla.errors import InputError

ENV_TEMPLATES = "MMSLA_TEMPLATES"
TEMPLATES = Path(__file__).resolve().parents[2] / "reports" / "templates"


def templates_dir() -> Path:
    return Path(os.environ.get(ENV_TEMPLATES) or TEMPLATES)


def render_html(template: str, context: dict[str, Any]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(template).render(**context)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(out: Path, write: Any) -> Path:
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(str(out), "the output directory does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def write_report(template: str, context: dict[str, Any], out: Path, *, html: bool) -> Path:
    """Render `template` with `context` into `out` (HTML when `html`, else PDF)."""
    text = render_html(template, context)
    if html:
        return _atomic_write(out, lambda p: p.write_text(text, encoding="utf-8"))
    import weasyprint  # slow import: only when a PDF is asked for

    doc = weasyprint.HTML(string=text, base_url=str(templates_dir()))
    return _atomic_write(out, lambda p: doc.write_pdf(str(p)))
