"""`mmsla validate FILE...`: check agreement files against the schema and semantic rules.

Prints `FILE: ok` per valid file on stdout and one `FILE: path.to.key: message`
line per problem on stderr. Exit 0 when every file is valid, 2 otherwise.
"""

from __future__ import annotations

import click

from mmsla.agreement import load_agreement
from mmsla.errors import AgreementError


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Validate agreement files (YAML or JSON)."""
    failed = False
    for path in files:
        try:
            agreement = load_agreement(path)
        except AgreementError as e:
            failed = True
            for line in e.lines():
                click.echo(line, err=True)
            continue
        n = len(agreement.instruments)
        click.echo(f"{path}: ok ({agreement.id} v{agreement.version}, {n} instrument(s))")
    ctx.exit(2 if failed else 0)
