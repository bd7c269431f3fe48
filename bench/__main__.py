"""Run every benchmark module `bench/bench_*.py` in turn (or those named on the command line).

Each module exposes `main() -> None` and prints its own figures. Figures are
recorded by hand in BENCHMARKS.md with the command that reproduces them.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench


def run(names: list[str]) -> int:
    modules = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    chosen = [m for m in modules if not names or m.removeprefix("bench_") in names or m in names]
    for name in chosen:
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
