"""XLSX reading benchmark: the peak memory of reading a small and a large households workbook
through the import's reader (the stored, encrypted file, streamed row by row), against the same
workbooks loaded whole by python-calamine (the reader it replaced), in the same run.

    python -m bench.xlsx_bench [--small 2000] [--large 150000]

Each read runs in its own process, so its peak RSS (getrusage) is its own; `base_rss_mb` is the
process after its imports, before the file is opened. The workbooks are generated first with
xlsxwriter (strings as shared strings, as Excel writes them) from the synthetic register
(bench.gen's generator). Not part of the test suite. The last line is one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_workbook(path: Path, members: int) -> int:
    import xlsxwriter

    from app.imports import synthetic

    vills = synthetic.villages(2, towns_per_district=1)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": False})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, synthetic.HOUSEHOLD_HEADER)
    n = 0
    for n, row in enumerate(synthetic.household_rows(None, vills, members=members), start=1):
        ws.write_row(n, 0, row)
    wb.close()
    return n


class _Upload:
    def __init__(self, path: Path) -> None:
        self._f = open(path, "rb")

    async def read(self, n: int) -> bytes:
        return self._f.read(n)


def child(reader: str, path: Path, data_dir: Path) -> None:
    """Read every row of `path` with `reader`; print {rows, seconds, base_rss_mb, peak_rss_mb}."""
    from app.config import Settings
    from app.imports.reader import iter_rows
    from app.imports.storage import open_stored, store_upload, stored_path

    settings = Settings(data_dir=data_dir)
    if reader == "stream":
        stored = asyncio.run(store_upload(settings, _Upload(path), path.name))
        base = _rss_mb()
        started = time.process_time()
        with open_stored(settings, stored_path(settings, stored.sha256)) as f:
            rows = sum(1 for _ in iter_rows(f, "xlsx", None))
    else:
        from python_calamine import CalamineWorkbook

        base = _rss_mb()
        started = time.process_time()
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sum(1 for _ in sheet.iter_rows()) - 1
    print(json.dumps({"rows": rows, "seconds": round(time.process_time() - started, 2),
                      "base_rss_mb": round(base, 1), "peak_rss_mb": round(_rss_mb(), 1)}))


def _run_child(reader: str, path: Path, data_dir: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.xlsx_bench", "--child", reader, str(path),
                          str(data_dir)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--small", type=int, default=2000, help="member rows of the small workbook")
    ap.add_argument("--large", type=int, default=150_000, help="member rows of the large one")
    ap.add_argument("--child", nargs=3, metavar=("READER", "PATH", "DATA_DIR"),
                    help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], Path(a.child[1]), Path(a.child[2]))
        return
    figures: dict[str, object] = {"bench": "bench.xlsx_bench"}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        for label, members in (("small", a.small), ("large", a.large)):
            path = Path(tmp) / f"{label}.xlsx"
            rows = write_workbook(path, members)
            size_mb = path.stat().st_size / 1e6
            stream = _run_child("stream", path, data_dir)
            whole = _run_child("calamine", path, data_dir)
            assert stream["rows"] == whole["rows"] == rows, (stream, whole, rows)
            print(f"{label}: {rows:,} rows, {size_mb:.1f} MB; streamed: peak {stream['peak_rss_mb']} MB"
                  f" (base {stream['base_rss_mb']}), {stream['seconds']} s; calamine whole sheet: "
                  f"peak {whole['peak_rss_mb']} MB (base {whole['base_rss_mb']}), "
                  f"{whole['seconds']} s", file=sys.stderr)
            figures.update({
                f"rows_{label}": rows, f"file_mb_{label}": round(size_mb, 1),
                f"peak_rss_mb_{label}": stream["peak_rss_mb"],
                f"base_rss_mb_{label}": stream["base_rss_mb"],
                f"seconds_{label}": stream["seconds"],
                f"calamine_peak_rss_mb_{label}": whole["peak_rss_mb"],
                f"calamine_seconds_{label}": whole["seconds"]})
    figures["growth_mb"] = round(figures["peak_rss_mb_large"] - figures["peak_rss_mb_small"], 1)
    figures["calamine_growth_mb"] = round(
        figures["calamine_peak_rss_mb_large"] - figures["calamine_peak_rss_mb_small"], 1)
    figures["rows_per_s_large"] = round(figures["rows_large"] / max(figures["seconds_large"], 1e-9))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
