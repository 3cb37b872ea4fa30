"""Generate a synthetic register: `python -m bench.gen --members 1000000 -o out/` writes
villages.csv (towns and villages in all six 市(區)) and households.csv (one row per member,
valid ID numbers, plausible families, incomes at or below the R1 line). Streamed: memory does not
grow with the size. Towns come from ../shared/data/taizhou-towns-2022.csv when present."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from app.imports import synthetic


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    size = ap.add_mutually_exclusive_group(required=True)
    size.add_argument("--households", type=int)
    size.add_argument("--members", type=int)
    ap.add_argument("--villages-per-town", type=int, default=8)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-o", "--output", type=Path, default=Path("."))
    a = ap.parse_args()
    a.output.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    vills = synthetic.villages(a.villages_per_town)
    synthetic.write_villages(a.output / "villages.csv", vills)
    n = synthetic.write_households(a.output / "households.csv", a.households, vills, a.seed,
                                   members=a.members)
    print(f"{len(vills)} villages, {n:,} members in {a.output} ({time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
