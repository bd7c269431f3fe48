"""`python -m mmsla` runs the CLI."""

from mmsla.cli import main

main()
