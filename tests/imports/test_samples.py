"""The sample files the README points to import as documented, in order."""

from __future__ import annotations

from pathlib import Path

from tests.imports.helpers import import_file

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


async def test_every_sample_file_imports_in_the_documented_order(client, app, db, admin):
    # households.jsonl is another register than households.csv: both import, one after the other
    expected = [("villages.csv", "villages", {"towns": 1, "villages": 2}),
                ("households.csv", "households", {"households": 2, "members": 5, "assessments": 2,
                                                  "decisions": 2}),
                ("households.jsonl", "households", {"households": 2, "members": 4,
                                                    "assessments": 2, "decisions": 2}),
                ("members.csv", "members", {"members": 1}),
                ("assessments.csv", "assessments", {"assessments": 2}),
                ("village_incomes.csv", "village_incomes", {"village_incomes": 2, "unchanged": 0}),
                ("helpers.csv", "helpers", {"helpers": 4}),
                ("pairings.csv", "pairings", {"pairings": 4})]
    for name, kind, written in expected:
        job = await import_file(client, app, db, admin, (SAMPLES / name).read_bytes(), kind=kind,
                                name=name)
        assert (job["state"], job["written"]) == ("succeeded", written), (name, job["error"])
