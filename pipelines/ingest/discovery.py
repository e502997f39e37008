"""Find complete deliveries under the raw root (contract section 1).

``<raw>/<YYYY-MM-DD>/<UNIT>/`` is a delivery once a manifest is in it; the highest
``manifest_rN.csv`` is the folder's current listing. Of the files it lists, the highest
revision of each (report, unit, date) is current. Everything else is ignored with a note;
things that cannot be right (a listed file that is missing or has the wrong size, a name that
is no contract report, a folder whose date or unit is impossible) are rejections.

Sizes are checked here (a ``stat``); SHA-256 is checked when the file is read, in the worker
that parses it, so the bytes are read once.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pipelines.contract.codes import HOI_UNIT, UNIT_BY_CODE
from pipelines.contract.naming import FileNameError, fold, manifest_revision, parse_file_name

from .model import Delivery, DeliveryFile, Discovery, Note, Rejection

_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


def discover(raw_dir: Path) -> list[Delivery]:
    """Complete delivery folders with their current files (after revisions), oldest first."""
    return discover_all(Path(raw_dir)).deliveries


def discover_all(raw_dir: Path, dates: Iterable[date] | None = None) -> Discovery:
    raw_dir = Path(raw_dir)
    out = Discovery()
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw directory {raw_dir} does not exist")
    wanted = set(dates) if dates is not None else None
    for entry in sorted(raw_dir.iterdir()):
        name = entry.name
        if name.startswith("."):
            continue
        if name.startswith("_"):
            out.notes.append(Note(name, "ignored: '_'-prefixed entries are not deliveries"))
            continue
        if not entry.is_dir() or not _DATE_DIR.match(name):
            out.notes.append(Note(name, "ignored: not a delivery date folder (YYYY-MM-DD)"))
            continue
        try:
            folder_date = date.fromisoformat(name)
        except ValueError:
            out.rejections.append(
                Rejection(
                    file=name,
                    row=None,
                    column=None,
                    value=name,
                    expected="a valid calendar date YYYY-MM-DD",
                    message=f"{name}: folder name {name!r} is not a valid date; "
                    "nothing in it is ingested",
                )
            )
            continue
        if wanted is not None and folder_date not in wanted:
            continue
        for unit_dir in sorted(entry.iterdir()):
            _discover_unit(raw_dir, folder_date, unit_dir, out)
    return out


def _discover_unit(raw_dir: Path, folder_date: date, unit_dir: Path, out: Discovery) -> None:
    unit = unit_dir.name
    rel_dir = f"{folder_date.isoformat()}/{unit}"
    if unit.startswith("."):
        return
    if unit.startswith("_"):
        out.notes.append(Note(rel_dir, "ignored: '_'-prefixed entries are not deliveries"))
        return
    if not unit_dir.is_dir():
        out.notes.append(Note(rel_dir, "ignored: a file where unit folders are expected"))
        return
    if unit not in UNIT_BY_CODE and unit != HOI_UNIT:
        out.rejections.append(
            Rejection(
                file=rel_dir,
                row=None,
                column=None,
                value=unit,
                expected=f"a unit folder {min(UNIT_BY_CODE)}..{max(UNIT_BY_CODE)} or {HOI_UNIT}",
                message=f"{rel_dir}: {unit!r} is not a unit of the branch "
                f"({min(UNIT_BY_CODE)}..{max(UNIT_BY_CODE)}) nor {HOI_UNIT}; "
                "nothing in it is ingested",
                data_date=folder_date,
            )
        )
        return
    manifests = sorted(
        ((rev, p) for p in unit_dir.iterdir() if (rev := manifest_revision(p.name)) is not None),
        key=lambda t: t[0],
    )
    if not manifests:
        out.incomplete.append(rel_dir)
        return
    revision, manifest_path = manifests[-1]
    delivery = Delivery(
        data_date=folder_date,
        unit=unit,
        path=unit_dir,
        manifest=manifest_path.name,
        manifest_revision=revision,
    )
    out.deliveries.append(delivery)
    _read_delivery(raw_dir, delivery, {p.name for _, p in manifests})


def _reject(delivery: Delivery, file: str, expected: str, message: str, value=None) -> None:
    delivery.rejections.append(
        Rejection(
            file=file,
            row=None,
            column=None,
            value=value,
            expected=expected,
            message=f"{file}: {message}",
            data_date=delivery.data_date,
            unit=delivery.unit,
        )
    )


def parse_manifest(text: str) -> list[tuple[int, str, int, str]]:
    """Rows of a manifest as (line number, file name, bytes, sha256); ValueError if malformed."""
    text = text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [fold(c) for c in rows[0]] != ["file_name", "bytes", "sha256"]:
        raise ValueError(
            "line 1: header must be 'file_name,bytes,sha256', found "
            + (repr(",".join(rows[0])) if rows else "an empty file")
        )
    out = []
    for i, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != 3:
            raise ValueError(f"line {i}: expected 3 fields, found {len(row)}: {row!r}")
        name, size, sha = (c.strip() for c in row)
        if not size.isdigit():
            raise ValueError(f"line {i}: bytes {size!r} is not a whole number")
        if not _SHA.match(sha.lower()):
            raise ValueError(f"line {i}: sha256 {sha!r} is not 64 hexadecimal digits")
        if "/" in name or "\\" in name or not name:
            raise ValueError(f"line {i}: file name {name!r} must be a plain name in the folder")
        out.append((i, name, int(size), sha.lower()))
    return out


def _read_delivery(raw_dir: Path, d: Delivery, manifest_names: set[str]) -> None:
    rel_dir = d.rel
    manifest_rel = f"{rel_dir}/{d.manifest}"
    try:
        text = (d.path / d.manifest).read_bytes().decode("utf-8")
        listed = parse_manifest(text)
    except (UnicodeDecodeError, ValueError) as exc:
        _reject(
            d,
            manifest_rel,
            "a manifest 'file_name,bytes,sha256' in UTF-8",
            f"unreadable manifest ({exc}); nothing of this delivery is ingested",
        )
        return
    listed_names = {name for _, name, _, _ in listed}
    for p in sorted(d.path.iterdir()):
        if p.name in manifest_names or p.name.startswith("."):
            continue
        rel = f"{rel_dir}/{p.name}"
        if p.name.startswith("_"):
            d.notes.append(Note(rel, "ignored: '_'-prefixed file"))
        elif p.is_dir():
            d.notes.append(Note(rel, "ignored: sub-folder inside a delivery folder"))
        elif p.name not in listed_names:
            d.notes.append(Note(rel, f"ignored: not listed in {d.manifest}"))

    by_key: dict[tuple, list[DeliveryFile]] = defaultdict(list)
    seen: set[str] = set()
    for line, name, size, sha in listed:
        rel = f"{rel_dir}/{name}"
        if name in seen:
            _reject(d, rel, "each file listed once", f"listed twice in {d.manifest}")
            continue
        seen.add(name)
        if name.startswith("_"):
            d.notes.append(Note(rel, f"ignored: '_'-prefixed file (listed in {d.manifest})"))
            continue
        if manifest_revision(name) is not None:
            continue
        try:
            parsed = parse_file_name(name)
        except FileNameError as exc:
            _reject(
                d,
                rel,
                "a contract report file name <REPORT>_<UNIT>_<DATE>[_rN].<ext>",
                f"unknown report type: {exc}",
                value=name,
            )
            continue
        spec = parsed.report
        if parsed.data_date != d.data_date:
            _reject(
                d,
                rel,
                f"the folder's date {d.data_date:%d/%m/%Y}",
                f"the file name's date {parsed.data_date:%d/%m/%Y} is not the folder's date "
                f"{d.data_date:%d/%m/%Y}",
                value=parsed.data_date.isoformat(),
            )
            continue
        if spec.unit_is_org != (d.unit == HOI_UNIT) or (
            not spec.unit_is_org and parsed.unit != d.unit
        ):
            where = HOI_UNIT if spec.unit_is_org else parsed.unit
            _reject(
                d,
                rel,
                f"a file of unit {d.unit}",
                f"a {spec.code} file of unit {parsed.unit} belongs in folder {where}, not {d.unit}",
                value=parsed.unit,
            )
            continue
        path = d.path / name
        if not path.is_file():
            _reject(
                d,
                rel,
                f"the file listed in {d.manifest}",
                f"listed in {d.manifest} (line {line}) but missing from the folder",
            )
            continue
        actual = path.stat().st_size
        if actual != size:
            _reject(
                d,
                rel,
                f"{size} bytes (manifest)",
                f"corrupt: {actual} bytes on disk, {d.manifest} line {line} says {size}",
                value=str(actual),
            )
            continue
        by_key[(spec.code, parsed.unit)].append(
            DeliveryFile(
                path=path,
                rel=rel,
                spec=spec,
                unit=parsed.unit,
                data_date=d.data_date,
                revision=parsed.revision,
                extension=parsed.extension,
                size=size,
                sha256=sha,
            )
        )
    order = {code: i for i, code in enumerate(_LOAD_ORDER)}
    for key in sorted(by_key, key=lambda k: (order[k[0]], k[1])):
        files = sorted(by_key[key], key=lambda f: f.revision)
        top = files[-1]
        same = [f for f in files if f.revision == top.revision]
        if len(same) > 1:
            names = ", ".join(f.path.name for f in same)
            for f in same:
                _reject(
                    d,
                    f.rel,
                    "one file per report, unit, date and revision",
                    f"delivered more than once in revision {top.revision} ({names})",
                )
            continue
        for f in files[:-1]:
            d.notes.append(Note(f.rel, f"superseded by {top.path.name}"))
        d.files.append(top)


# Load order inside a delivery: M31 first, so the 01.1 form can map commune names with it.
_LOAD_ORDER = ("M31", "SKGD", "BCDHTD_01.1", "BCDHTD_01.2", "BC0437", "DOICHIEU", "HOI")
