"""Exception hierarchy for failures a user must see as one clear line.

Business-rule failures (a breach, a risk denial) are data, not exceptions.
These are for bad input and broken I/O. The CLI turns any `MmslaError` into a
single line on stderr and exit code 2; nothing else should reach the user.

    MmslaError
    ├── InputError          a file or row that cannot be read (file:line:column)
    ├── AgreementError      an agreement that fails schema or semantic checks
    └── ConfigError         a quoter/venue/monitor config that fails validation
"""

from __future__ import annotations

from collections.abc import Sequence


class MmslaError(Exception):
    """Base for every error that is reported to the user as text."""

    exit_code = 2

    def lines(self) -> list[str]:
        """The error as one or more user-facing lines (no traceback)."""
        return [str(self)]


class InputError(MmslaError):
    """A malformed input file or row; names the file, line and column when known."""

    def __init__(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        where = path
        if line is not None:
            where += f":{line}"
        if column is not None:
            where += f": column {column}"
        super().__init__(f"{where}: {message}")


class AgreementError(MmslaError):
    """An agreement file with one or more problems, each `FILE: path.to.key: message`."""

    def __init__(self, path: str, problems: Sequence[tuple[str, str]]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.path}: {key or '<root>'}: {msg}" for key, msg in self.problems]


class ConfigError(MmslaError):
    """A configuration file (quoter, venue, monitor) that fails validation."""
