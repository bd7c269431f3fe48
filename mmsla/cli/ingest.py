"""`mmsla ingest`: load our logs and public order books into the DuckDB event store.

One transaction per command: if any file fails (a bad row is reported as
file:line: column), nothing from this command is stored. Files already
ingested (same sha256 and kind) are skipped with a message. A directory
argument means every .csv/.jsonl/.parquet file under it, in path order (e.g. a
`date=YYYY-MM-DD/symbol=S/part.parquet` tree). A progress bar is shown on
stderr for many or large files, only when stderr is a terminal.

Does not: evaluate obligations (`mmsla check --db`), or delete data.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from mmsla.errors import InputError
from mmsla.store import ENV_DB, EventStore, IngestResult
from mmsla.store.event_store import file_sha256

_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json", ".parquet", ".pq")
_PROGRESS_BYTES = 64 << 20
_LIST_FILES = 20


def _expand(paths: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for text in paths:
        p = Path(text)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _SUFFIXES)
            if not found:
                raise InputError(text, "directory holds no .csv, .jsonl or .parquet files")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(text, "file not found")
    return out


def _decimal(text: str | None, name: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as e:
        raise click.BadParameter(f"not a decimal: {text!r}", param_hint=name) from e
    if value <= 0:
        raise click.BadParameter("must be positive", param_hint=name)
    return value


def _report(result: IngestResult) -> None:
    if result.skipped:
        click.echo(
            f"{result.kind} {result.path}: already ingested (file {result.file_id}, "
            f"sha256 {result.sha256[:12]}); skipped"
        )
    else:
        click.echo(f"{result.kind} {result.path}: {result.rows:,} rows (file {result.file_id})")


@contextmanager
def _progress(jobs: list[tuple[str, Path]]) -> Iterator[Callable[[IngestResult], None]]:
    """A per-file progress callback: a bar on stderr for big jobs on a terminal, else silent."""
    total = sum(p.stat().st_size for _, p in jobs)
    if not sys.stderr.isatty() or (len(jobs) < 20 and total < _PROGRESS_BYTES):
        yield lambda _result: None
        return
    with click.progressbar(length=len(jobs), label="ingesting", file=sys.stderr) as bar:
        yield lambda _result: bar.update(1)


@click.command("ingest")
@click.option(
    "--db",
    "db",
    envvar=ENV_DB,
    default="mmsla.duckdb",
    show_default=True,
    help="DuckDB file (env MMSLA_DB).",
)
@click.option("--quotes", multiple=True, help="Quote log file or directory (CSV, JSONL, Parquet).")
@click.option("--market", multiple=True, help="Market reference file or directory.")
@click.option("--states", multiple=True, help="Market states file or directory.")
@click.option("--fills", multiple=True, help="Fills file or directory.")
@click.option(
    "--book",
    multiple=True,
    help="Public order-book file(s); Binance takes several files, in order.",
)
@click.option(
    "--book-format", type=click.Choice(["lobster", "binance", "tardis"]), help="Format of --book."
)
@click.option("--symbol", help="Symbol of --book (default: from the file).")
@click.option("--tick", help="Tick size of --book (tardis: required).")
@click.option("--lot", help="Lot size of --book (tardis: required).")
@click.option("--depth", default=20, show_default=True, help="Book levels kept (binance).")
@click.option("--source", help="Free-text origin recorded with each file (e.g. prod-eu).")
def ingest(
    db: str,
    quotes: tuple[str, ...],
    market: tuple[str, ...],
    states: tuple[str, ...],
    fills: tuple[str, ...],
    book: tuple[str, ...],
    book_format: str | None,
    symbol: str | None,
    tick: str | None,
    lot: str | None,
    depth: int,
    source: str | None,
) -> None:
    """Ingest logs and public books into the event store (all or nothing)."""
    jobs: list[tuple[str, Path]] = []
    for kind, given in (
        ("quotes", quotes),
        ("market", market),
        ("states", states),
        ("fills", fills),
    ):
        jobs.extend((kind, p) for p in _expand(given))
    if book and not book_format:
        raise click.UsageError("--book needs --book-format lobster|binance|tardis")
    if book_format and not book:
        raise click.UsageError("--book-format given without --book")
    if not jobs and not book:
        raise click.UsageError(
            "nothing to ingest: give --quotes, --market, --states, --fills or --book"
        )
    book_paths = _expand(book) if book else []
    tick_d, lot_d = _decimal(tick, "--tick"), _decimal(lot, "--lot")
    store = EventStore.open(db)
    try:
        results: list[IngestResult] = []
        recorded = None
        if book_paths:
            assert book_format is not None
            sha = file_sha256(book_paths)
            done = store.find_ingested(sha, f"book:{book_format}")
            if done is not None:
                label = " + ".join(str(p) for p in book_paths)
                results.append(IngestResult(done.kind, label, sha, done.rows, done.file_id, True))
            else:
                from mmsla.io.books import read_book

                recorded = read_book(
                    book_paths, book_format, symbol=symbol, tick=tick_d, lot=lot_d, depth=depth
                )
        with store.transaction():
            with _progress(jobs) as tick_file:
                for kind in ("quotes", "market", "states", "fills"):
                    paths = [p for k, p in jobs if k == kind]
                    if paths:
                        results.extend(
                            store.ingest_many(kind, paths, source=source, on_file=tick_file)
                        )
            if recorded is not None:
                assert book_format is not None
                results.append(
                    store.ingest_book(recorded, book_paths, fmt=book_format, source=source)
                )
                for gap in recorded.gaps:
                    click.echo(
                        f"warning: {book_format} sequence gap at ts {gap.ts_ns}: expected "
                        f"{gap.expected}, got {gap.got}; book not bridged until the next snapshot",
                        err=True,
                    )
    finally:
        store.close()
    if len(results) <= _LIST_FILES:
        for result in results:
            _report(result)
    else:
        skipped = sum(r.skipped for r in results)
        click.echo(f"{len(results) - skipped} file(s) ingested, {skipped} already ingested")
    stored = sum(r.rows for r in results if not r.skipped)
    click.echo(
        f"{store.path}: {stored:,} rows stored from {sum(not r.skipped for r in results)} file(s)"
    )
