"""The code-list seeds are exactly what the contract module renders (no drift)."""

import csv

from pipelines.contract import codes
from pipelines.settings import DBT_PROJECT_DIR
from tests.dbt_writers import dbt_script


def _writer():
    return dbt_script("write_seeds")


def test_seed_files_equal_the_contract_code_lists():
    rendered = _writer().rendered_seeds()
    on_disk = {
        p.stem: p.read_text(encoding="utf-8") for p in (DBT_PROJECT_DIR / "seeds").glob("*.csv")
    }
    assert set(on_disk) == set(rendered), "seed files differ from the contract's code lists"
    for name, text in rendered.items():
        assert on_disk[name] == text, (
            f"seeds/{name}.csv differs from pipelines.contract.codes: "
            "run `.venv/bin/python dbt_project/scripts/write_seeds.py`"
        )


def test_seed_rows_cover_every_code():
    tables = _writer().seed_tables()
    assert [r[0] for r in tables["units"][1]] == [u.code for u in codes.UNITS]
    assert [r[0] for r in tables["organizations"][1]] == [o.code for o in codes.ORGANIZATIONS]
    assert [r[0] for r in tables["programs"][1]] == [p.code for p in codes.PROGRAMS]
    assert [r[0] for r in tables["txn_types"][1]] == list(codes.TXN_TYPES)
    poor = [r[0] for r in tables["programs"][1] if r[7]]
    assert poor == list(codes.POOR_GROUP_PROGRAMS)


def _bands_on_disk(seed: str, name: str, low: str, high: str) -> list[tuple[str, int, float]]:
    """(class, first, last) rows of a seed of bands; an empty last: no upper end."""
    with (DBT_PROJECT_DIR / "seeds" / f"{seed}.csv").open(encoding="utf-8") as f:
        return [(r[name], int(r[low]), float(r[high] or "inf")) for r in csv.DictReader(f)]


def test_the_warehouse_rates_scores_and_terms_as_the_contract_does():
    """The seeds the marts join (group_ratings, term_classes) give every score and every term
    the class the contract's own functions give it (what the generator writes)."""
    ratings = _bands_on_disk("group_ratings", "rating", "min_score", "max_score")
    for score in range(101):
        assert [r for r, lo, hi in ratings if lo <= score <= hi] == [
            codes.rating_for_score(score)
        ], score
    terms = _bands_on_disk("term_classes", "term_class", "min_months", "max_months")
    for months in range(1, 361):
        assert [t for t, lo, hi in terms if lo <= months <= hi] == [codes.term_class(months)]
