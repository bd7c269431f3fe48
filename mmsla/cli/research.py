"""`mmsla research`: model studies (the Avellaneda-Stoikov table, option chains, intensity).

Each command reads its inputs, calls a pure function in `mmsla.research` (or the
quoter's pricing maths, wired here in the composition root) and prints a table
or JSON. Bad input is a one-line `InputError`, never a traceback.
"""

from __future__ import annotations

import json

import click


@click.group("research")
def research() -> None:
    """Model studies: the Avellaneda-Stoikov table, option chain IVs, intensity fits."""


@research.command("as-table")
@click.option("--runs", type=click.IntRange(min=2), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows instead of a table.")
def as_table_cmd(runs: int, seed: int, as_json: bool) -> None:
    """Reproduce the Avellaneda-Stoikov (2008) simulation table."""
    from mmsla.research.as_table import PUBLISHED, as_table

    rows = as_table(runs=runs, seed=seed)
    if as_json:
        click.echo(json.dumps({"runs": runs, "seed": seed, "rows": [r.to_dict() for r in rows]}))
        return
    click.echo(f"Avellaneda-Stoikov 2008 table, {runs} runs, seed {seed} (paper in brackets)")
    head = f"{'gamma':>6} {'strategy':<10} {'spread':>13} {'profit':>14} {'std':>12} "
    click.echo(head + f"{'q mean':>14} {'q std':>12}")
    for r in rows:
        ps, pm, psd, qm, qsd = PUBLISHED.get((r.gamma, r.strategy), (float("nan"),) * 5)
        click.echo(
            f"{r.gamma:>6g} {r.strategy:<10} {r.spread:>6.3f} ({ps:>4.2f}) "
            f"{r.profit_mean:>6.2f} ({pm:>5.1f}) {r.profit_std:>5.2f} ({psd:>4.1f}) "
            f"{r.q_mean:>6.3f} ({qm:>5.2f}) {r.q_std:>5.2f} ({qsd:>4.1f})"
        )
