"""Personal data (customer names, national ID numbers, phone numbers, group leaders, officers)
never leaves raw.*: not as a column, not as a value, in any later schema of the warehouse, the
published database or any report file. The values searched for are the ones actually delivered
(taken from raw.*), and the scanner is shown to find them where they are allowed (raw)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest

from pipelines.contract.reports import REPORTS
from pipelines.publish import PERSONAL_COLUMN

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability")]

# raw table -> its personal-data columns, as the report specs mark them (tests/test_contract.py
# holds the specs to contract §4.1, §4.4, §4.5)
PERSONAL = {r.table: r.personal_keys for r in REPORTS if r.personal_keys}
AFTER_RAW = ("seeds", "staging", "intermediate", "marts", "recon", "quality", "main")


@pytest.fixture(scope="module")
def personal_values(reference) -> dict[str, set[str]]:
    con = duckdb.connect(str(reference.warehouse), read_only=True)
    try:
        out = {}
        for table, cols in PERSONAL.items():
            for col in cols:
                vals = con.execute(
                    f"select distinct {col} from raw.{table} where {col} is not null"
                ).fetchall()
                out[f"{table}.{col}"] = {v[0] for v in vals if len(v[0].strip()) >= 3}
        return out
    finally:
        con.close()


def _text_columns(con, schemas) -> list[tuple[str, str, str]]:
    return con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() and data_type = 'VARCHAR' "
        f"and table_schema in ({', '.join('?' for _ in schemas)}) order by all",
        list(schemas),
    ).fetchall()


def _leaks(db: Path, schemas, values: dict[str, set[str]]) -> list[str]:
    """Every (schema.table.column, kind) whose values include a personal value."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("create temp table pii (kind varchar, v varchar)")
        con.executemany(
            "insert into pii values (?, ?)", [(k, v) for k, vs in values.items() for v in vs]
        )
        found = []
        for s, t, c in _text_columns(con, schemas):
            hits = con.execute(
                f'select distinct p.kind from "{s}"."{t}" x join pii p on x."{c}" = p.v'
            ).fetchall()
            found += [f"{s}.{t}.{c}: {kind}" for (kind,) in hits]
        return found
    finally:
        con.close()


def _personal_columns(db: Path, schemas) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = con.execute(
            "select table_schema || '.' || table_name || '.' || column_name "
            "from information_schema.columns where table_catalog = current_database() "
            f"and table_schema in ({', '.join('?' for _ in schemas)})",
            list(schemas),
        ).fetchall()
    finally:
        con.close()
    return [c for (c,) in cols if PERSONAL_COLUMN.search(c.split(".")[-1])]


def test_every_kind_of_personal_data_was_delivered(personal_values):
    """The demo carries every kind (else the scans below would prove nothing)."""
    assert all(len(v) >= 3 for v in personal_values.values()), {
        k: len(v) for k, v in personal_values.items()
    }


def test_the_scanner_finds_personal_data_where_it_is_allowed(reference, personal_values):
    leaks = _leaks(reference.warehouse, ("raw",), personal_values)
    assert {x.split(": ")[1] for x in leaks} == set(personal_values)
    assert len(_personal_columns(reference.warehouse, ("raw",))) == sum(map(len, PERSONAL.values()))


def test_no_personal_data_after_raw_in_the_warehouse(reference, personal_values):
    assert _personal_columns(reference.warehouse, AFTER_RAW) == []
    assert _leaks(reference.warehouse, AFTER_RAW, personal_values) == []


def test_no_personal_data_in_the_published_database(reference, personal_values):
    con = duckdb.connect(str(reference.analytics), read_only=True)
    try:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    finally:
        con.close()
    assert "raw" not in schemas and "staging" not in schemas
    everything = tuple(schemas)
    assert _personal_columns(reference.analytics, everything) == []
    assert _leaks(reference.analytics, everything, personal_values) == []


def _file_texts(path: Path) -> list[tuple[str, str]]:
    """The text of a report file; for an .xlsx, of every XML part (cells, shared strings,
    sheet names, comments, document properties)."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return [
                (f"{path.name}:{n}", z.read(n).decode("utf-8", errors="replace"))
                for n in z.namelist()
                if n.endswith((".xml", ".rels"))
            ]
    return [(path.name, path.read_text(encoding="utf-8", errors="replace"))]


def test_no_personal_data_in_any_report_file(reference, personal_values):
    files = [p for p in reference.reports.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".html", ".xlsx"}
    found = []
    for f in files:
        for part, text in _file_texts(f):
            for kind, values in personal_values.items():
                hits = [v for v in values if v in text]
                if hits:
                    found.append(f"{part}: {kind} e.g. {hits[0]!r}")
    assert found == []


# ---------------------------------------------------------------- bad input, past raw too
# Personal values planted in files that are rejected or carry findings: none of them may be
# repeated by a rejection message, raw._rejections, raw._findings, a quarantine report, the
# command's output, the Dagster event log (messages and materialization metadata) or the
# process log. The values are distinctive so that a hit is never a coincidence.
PLANTED = {
    "customer_name": "Nguyễn Thị Bímật",
    "national_id": "0012AB34X",  # malformed: a finding, said without the value
    "phone": "09-BIMAT-77",
    "group_name": "Trần Văn Tổbímật",
    "leader_name": "Phạm Văn Trưởngkín",
    "officer": "Đỗ Thị Cánbộkín",
}


def _bad_night(raw: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
    from builders import (
        DAY,
        OFFICE,
        Folder,
        bc0437_row,
        doichieu_row,
        m31_name,
        m31_row,
        report_sheet,
        standard_files,
        xlsx_bytes,
    )

    from pipelines.contract.reports import BC0437, DOICHIEU, M31

    p = PLANTED
    person = {
        "customer_name": p["customer_name"],
        "national_id": p["national_id"],
        "phone": p["phone"],
        "group_name": p["group_name"],
    }
    # office 0107: loads, with a finding on the malformed national ID
    folder = Folder(raw)
    for n, d in standard_files().items():
        folder.add(n, d)
    folder.add(m31_name(), xlsx_bytes(report_sheet(M31, [m31_row(1, **person), m31_row(2)])))
    folder.manifest()
    # office 0108: every report rejected, on rows that hold personal data
    other = Folder(raw, DAY, "0108")
    rows = [
        m31_row(1, pgd_code="0108", outstanding="12a", **person),
        m31_row(2, pgd_code="0108", customer_name="   ", national_id=p["national_id"] + "9"),
    ]
    other.add(m31_name("0108"), xlsx_bytes(report_sheet(M31, rows)))
    other.add(
        f"BC0437_0108_{DAY:%Y%m%d}.xlsx",
        xlsx_bytes(
            report_sheet(
                BC0437,
                [bc0437_row(1, pgd_code="0108", leader_name=p["leader_name"], rating="Giỏi")],
            )
        ),
    )
    other.add(
        f"DOICHIEU_0108_{DAY:%Y%m%d}.xlsx",
        xlsx_bytes(
            report_sheet(
                DOICHIEU,
                [doichieu_row(1, pgd_code="0108", officer=p["officer"], result="Sai")],
            )
        ),
    )
    other.manifest()
    assert OFFICE == "0107"


def _event_log_text(instance) -> str:
    """Every message and every metadata value of every event of every run."""
    parts = []
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id):
            parts.append(entry.user_message or "")
            ev = entry.dagster_event
            if ev is not None:
                parts.append(ev.message or "")
                mat = getattr(ev.event_specific_data, "materialization", None)
                if mat is not None:
                    parts.extend(f"{k}: {v.value}" for k, v in mat.metadata.items())
    return "\n".join(parts)


def test_no_personal_value_in_rejections_findings_quarantine_logs_or_metadata(
    tmp_path, dbt_manifest, caplog
):
    import logging
    import subprocess
    import sys

    from dagster import DagsterInstance

    from pipelines.definitions import INGEST_JOB, defs
    from pipelines.defs.resources import NhcsPaths

    raw = tmp_path / "data" / "raw"
    _bad_night(raw)
    warehouse = tmp_path / "data" / "warehouse" / "warehouse.duckdb"
    paths = NhcsPaths(
        raw_dir=str(raw), warehouse=str(warehouse), reports_dir=str(tmp_path / "reports")
    )
    caplog.set_level(logging.DEBUG)
    # as the project's instance (pipelines/runner/instance.py): the nhcs loggers in the event log
    python_logs = {"managed_python_loggers": ["nhcs"], "python_log_level": "INFO"}
    with DagsterInstance.ephemeral(settings={"python_logs": python_logs}) as instance:
        result = defs.resolve_job_def(INGEST_JOB).execute_in_process(
            instance=instance,
            partition_key="2022-03-31",
            resources={"paths": paths},
            raise_on_error=False,
        )
        dagster_text = _event_log_text(instance)
    nhcs = Path(sys.executable).with_name("nhcs")
    cli = subprocess.run(
        [str(nhcs), "ingest", "--raw", str(raw), "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        timeout=600,
    )

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rejections = con.execute("select * from raw._rejections").fetchall()
        findings = con.execute("select * from raw._findings").fetchall()
        stored = con.execute(
            "select customer_name, national_id from raw.m31 where _unit = '0107' order by 1"
        ).fetchall()
    finally:
        con.close()
    quarantine = "\n".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "data" / "quarantine").rglob("*.txt")
    )
    # the scenario did what it must, or the scan below would prove nothing
    assert result.success
    assert cli.returncode == 3
    assert {r[0].split("/")[-1][:6] for r in rejections} >= {"M31_01", "BC0437", "DOICHI"}
    assert any(f[5] == "Số CCCD" for f in findings)  # the malformed ID is a finding ...
    assert (PLANTED["customer_name"], None) in stored  # ... and loads empty; names stay raw
    assert "REJECTED" in cli.stdout and "rejection(s)" in dagster_text

    places = {
        "raw._rejections": "\n".join(" ".join(map(str, r)) for r in rejections),
        "raw._findings": "\n".join(" ".join(map(str, f)) for f in findings),
        "quarantine reports": quarantine,
        "nhcs ingest output": cli.stdout + cli.stderr,
        "Dagster event log and metadata": dagster_text,
        "process log": caplog.text,
    }
    leaks = [
        f"{where}: {kind}"
        for where, text in places.items()
        for kind, value in PLANTED.items()
        if value in text
    ]
    assert leaks == []
