"""The code-list seeds are exactly what the contract module renders (no drift)."""

import importlib.util

from pipelines.settings import DBT_PROJECT_DIR


def _writer():
    path = DBT_PROJECT_DIR / "scripts" / "write_seeds.py"
    spec = importlib.util.spec_from_file_location("write_seeds", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    from pipelines.contract import codes

    tables = _writer().seed_tables()
    assert [r[0] for r in tables["units"][1]] == [u.code for u in codes.UNITS]
    assert [r[0] for r in tables["organizations"][1]] == [o.code for o in codes.ORGANIZATIONS]
    assert [r[0] for r in tables["programs"][1]] == [p.code for p in codes.PROGRAMS]
    assert [r[0] for r in tables["txn_types"][1]] == list(codes.TXN_TYPES)
    poor = [r[0] for r in tables["programs"][1] if r[7]]
    assert poor == list(codes.POOR_GROUP_PROGRAMS)
