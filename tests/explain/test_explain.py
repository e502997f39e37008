"""``nhcs explain`` and the lineage marts on the demo (scale 0.01, Q1 2022): every headline
figure's parts add up exactly to it at every month-end, each part names the delivered files
that carry it (as ingestion recorded them), the definition and the model chain are dbt's, and
the briefing links each headline figure to the same breakdown in its appendix."""

from __future__ import annotations

import hashlib
import math
import re

import duckdb
import pytest

from pipelines.contract.figures import FIGURES
from pipelines.contract.reports import REPORTS
from pipelines.explain import explain, lines
from pipelines.explain.dbt_graph import DbtDocs
from tests.shared_builds import built_demo

pytestmark = [pytest.mark.xdist_group("explain"), pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The clean demo (its dbt build ran assert_figure_breakdown_adds_up too)."""
    d = built_demo(tmp_path_factory, "demo")
    return d.raw, d.warehouse, DbtDocs(d.manifest)


@pytest.fixture
def con(demo):
    c = duckdb.connect(str(demo[1]), read_only=True)
    yield c
    c.close()


def _month_ends(con):
    sql = "select as_of_date from marts.mart_briefing_kpis order by 1"
    return [r[0] for r in con.execute(sql).fetchall()]


def test_parts_add_up_to_every_figure_at_every_month_end(demo, con):
    ends = _month_ends(con)
    assert len(ends) == 4  # 31/12/2021 and the three month-ends of Q1 2022
    for as_of in ends:
        for f in FIGURES:
            e = explain(con, f.id, as_of, demo[2])
            assert e.adds_up, (f.id, as_of, [(b.column, b.value, b.total) for b in e.breakdowns])
            for b in e.breakdowns:
                if b.value:
                    assert b.parts and b.total == b.value
            if f.ratio:
                num, den = (b.value for b in e.breakdowns)
                if e.value is None:
                    assert num is None or den in (None, 0)
                else:
                    assert math.isclose(e.value, num / den, rel_tol=1e-12)


def test_each_part_names_the_files_that_carry_it(demo, con):
    raw, _, docs = demo
    loads = {
        r[0]: (r[1], r[2], r[3])
        for r in con.execute(
            "select source_file, revision, sha256, loaded_at from raw._loads"
        ).fetchall()
    }
    e = explain(con, "F1", _month_ends(con)[-1], docs)
    (b,) = e.breakdowns
    assert {p.org_code for p in b.parts} <= {"11", "12", "13", "14"}
    for p in b.parts:
        assert p.files, (p.pgd_code, p.org_code)
        for f in p.files:
            assert f.file.startswith(f"2022-03-31/{p.pgd_code}/M31_{p.pgd_code}_")
            assert hashlib.sha256((raw / f.file).read_bytes()).hexdigest() == f.sha256
            assert loads[f.file] == (f.revision, f.sha256, f.loaded_at)
            assert f.rows >= p.items > 0  # a loan with two savings books has two rows

    change = explain(con, "F3", _month_ends(con)[-1], docs).breakdowns[0]
    dates = {f.data_date.isoformat() for p in change.parts for f in p.files}
    assert dates == {"2021-12-31", "2022-03-31"}
    recon = explain(con, "F12", _month_ends(con)[-1], docs).breakdowns[0]
    assert {f.report for p in recon.parts for f in p.files} == {"DOICHIEU"}


def test_definition_and_chain_come_from_dbt(demo, con):
    docs = demo[2]
    e = explain(con, "entrusted_outstanding_vnd", None, docs)
    assert e.figure.id == "F1" and e.as_of == _month_ends(con)[-1]
    assert e.definition and e.definition == docs.column_doc(
        "mart_briefing_kpis", "entrusted_outstanding_vnd"
    )
    names = [n.name for n in e.chain]
    assert names[0] == "mart_briefing_kpis" and "raw.m31" in names and "raw.doichieu" in names
    text = "\n".join(lines(e))
    assert "khớp" in text and "KHÔNG KHỚP" not in text


def test_the_command(demo, capsys, monkeypatch):
    from pipelines import cli
    from pipelines.runner import manifest

    _, warehouse, docs = demo
    monkeypatch.setattr(manifest, "prepare_dbt_manifest", lambda *a, **k: docs.path)
    args = ["explain", "F12", "--as-of", "2022-03-31", "--warehouse", str(warehouse)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "F12 reconciled_customers" in out and "DOICHIEU_" in out and ": khớp;" in out
    assert cli.main(["explain", "F99", "--warehouse", str(warehouse)]) == cli.EXIT_USAGE
    bad_date = ["explain", "F1", "--as-of", "2022-03-30", "--warehouse", str(warehouse)]
    assert cli.main(bad_date) == cli.EXIT_USAGE
    assert "month-ends" in capsys.readouterr().err


def test_lineage_marts_hold_codes_only(con):
    personal = {k for spec in REPORTS for k in spec.personal_keys}
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name in ('mart_figure_breakdown', 'mart_figure_lineage')"
        ).fetchall()
    }
    assert columns and not columns & personal


def test_the_briefing_links_each_headline_figure_to_its_breakdown(demo, tmp_path):
    from pipelines.reports import build_reports
    from pipelines.reports.fmt import parse_vn_number

    _, warehouse, _ = demo
    html = next(p for p in build_reports(warehouse, tmp_path) if p.suffix == ".html")
    page = html.read_text(encoding="utf-8")
    for f in FIGURES:
        assert f'href="#nguon-{f.id}"' in page, f.id
        assert f'id="nguon-{f.id}"' in page, f.id
    # the F1 section's parts, read back from the page, add up to the headline's exact value
    section = page[page.index('id="nguon-F1"') : page.index('id="nguon-F2"')]
    totals = re.findall(r'<td class="num">([\d.]+) đồng</td><td>', section)
    headline = re.search(r'data-figure="F1"[^>]*data-value="(\d+)"', page)
    assert totals and sum(parse_vn_number(t) for t in totals) == int(headline[1])
    assert "M31_" in section and "SHA-256" in section
