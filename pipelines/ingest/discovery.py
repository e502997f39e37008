"""Find complete deliveries under the raw root (contract section 1).

``<raw>/<YYYY-MM-DD>/<UNIT>/`` is a delivery once a manifest is in it; the highest
``manifest_rN.csv`` is the folder's current listing. Of the files it lists, the highest
revision of each (report, unit, date) is current. Everything else is named: ignored with a
note when it is harmless (a file not in the manifest, a superseded revision, an ``_``-prefixed
entry), a rejection when it cannot be right (a listed file that is missing or has the wrong
size, a name that is no contract report, a folder whose name is not a data date or whose date
is in the future, an entry that is a symbolic link, a FIFO or a device).

Only regular files and folders physically inside the raw root are read (``files.py``): links
are never followed, whatever they point at. Every name that reaches a message is escaped
(``printable``): a file name holding a line break or a terminal escape cannot forge output.

Sizes are checked here (an ``lstat``); SHA-256 is checked when the file is read, in the worker
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

from pipelines.contract.codes import HOI_UNIT, UNIT_BY_CODE, today_in_hanoi
from pipelines.contract.naming import (
    FileNameError,
    fold,
    manifest_name,
    manifest_revision,
    parse_file_name,
    revision_of,
)
from pipelines.contract.reports import REPORTS

from .errors import FileProblems, printable
from .files import Entry, entries, inside, read_regular_file, sha256_of
from .model import Delivery, DeliveryFile, Discovery, Note, Rejection

_DATE_DIR = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHA = re.compile(r"[0-9a-f]{64}")
MAX_MANIFEST_BYTES = 16 * 1024 * 1024  # a manifest lists a folder: kilobytes, not gigabytes
# A manifest line: (line number, file name, bytes, sha256).
ListedFile = tuple[int, str, int, str]


def discover(raw_dir: Path) -> list[Delivery]:
    """Complete delivery folders with their current files (after revisions), oldest first."""
    return discover_all(Path(raw_dir)).deliveries


def _rejection(file: str, expected: str, message: str, value=None, **kw) -> Rejection:
    """A rejection of a folder or of a file as a whole (no row, no column)."""
    return Rejection(
        file=file,
        row=None,
        column=None,
        value=value,
        expected=expected,
        message=f"{file}: {message}",
        **kw,
    )


def _refuse(out_rejections: list, rel: str, e: Entry, what: str, **kw) -> None:
    out_rejections.append(
        _rejection(
            rel,
            f"a {what} physically inside the raw folder",
            f"is {e.kind}; only regular files and folders physically inside the raw folder are "
            "read, and links are never followed: not read",
            **kw,
        )
    )


def discover_all(
    raw_dir: Path, dates: Iterable[date] | None = None, today: date | None = None
) -> Discovery:
    raw_dir = Path(raw_dir)
    out = Discovery()
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw directory {raw_dir} does not exist")
    root = Path(raw_dir).resolve()  # the raw folder itself may be a link: its target is the root
    wanted = set(dates) if dates is not None else None
    today = today or today_in_hanoi()
    for e in entries(root):
        folder_date = _date_folder(e, out, today, wanted)
        if folder_date is None:
            continue
        for unit_entry in entries(e.path):
            _discover_unit(root, folder_date, unit_entry, out)
    return out


def discover_folder(
    folder: Path, listing: list[ListedFile] | None = None, today: date | None = None
) -> Discovery:
    """One delivery folder ``<raw>/<YYYY-MM-DD>/<UNIT>/`` judged exactly as ``discover_all``
    judges it inside its raw folder (the folder's grandparent): the date folder, the unit
    folder, the manifest and the files it lists.

    With ``listing`` (``(line, file name, bytes, sha256)`` rows, e.g. ``folder_listing``), the
    folder is read as if its manifest listed exactly those files: what a folder will be once
    its manifest is written (``nhcs validate`` checks a delivery before it is sent)."""
    folder = Path(folder)
    root = folder.parent.parent.resolve()
    out = Discovery()
    by_name = {e.name: e for e in entries(folder.parent.parent)}
    date_entry = by_name.get(folder.parent.name)
    if date_entry is None:
        raise FileNotFoundError(f"delivery folder {folder} does not exist")
    folder_date = _date_folder(date_entry, out, today or today_in_hanoi(), None)
    if folder_date is None:
        return out
    unit_entry = {e.name: e for e in entries(date_entry.path)}.get(folder.name)
    if unit_entry is None:
        raise FileNotFoundError(f"delivery folder {folder} does not exist")
    _discover_unit(root, folder_date, unit_entry, out, listing)
    return out


def folder_listing(folder: Path) -> list[ListedFile]:
    """What a manifest written now would list: every regular file of the folder except the
    manifests and the ``_``/``.``-prefixed entries (the contract's "every file of that
    folder"), with its size and SHA-256, by name. Nothing is followed through a link: links
    and other non-regular entries are left out here and refused by discovery."""
    out: list[ListedFile] = []
    for e in entries(folder):
        if not e.is_file or e.name.startswith((".", "_")) or manifest_revision(e.name):
            continue
        out.append((len(out) + 2, e.name, e.size, sha256_of(e.path)))
    return out


def _date_folder(e: Entry, out: Discovery, today: date, wanted: set[date] | None) -> date | None:
    """The data date of an entry of the raw folder, or None (noted, refused or not wanted)."""
    name = e.shown
    if e.name.startswith((".", "_")):
        out.notes.append(Note(name, "ignored: '.' and '_'-prefixed entries are not deliveries"))
        return None
    if not e.is_dir and not e.is_file:
        _refuse(out.rejections, name, e, "folder")
        return None
    if not e.is_dir:
        out.notes.append(Note(name, "ignored: a file where data-date folders are expected"))
        return None
    folder_date = None
    if _DATE_DIR.fullmatch(e.name):
        try:
            folder_date = date.fromisoformat(e.name)
        except ValueError:
            pass
    if folder_date is None:
        out.rejections.append(
            _rejection(
                name,
                "a folder named by its data date, YYYY-MM-DD",
                f"folder name {name!r} is not a data date YYYY-MM-DD (e.g. 2022-03-31); "
                "nothing in it is ingested. Rename it, or prefix it with '_' to keep "
                "something else under the raw folder",
                value=name,
            )
        )
        return None
    if wanted is not None and folder_date not in wanted:
        return None
    if folder_date > today:
        out.rejections.append(
            _rejection(
                name,
                f"a data date on or before today ({today:%d/%m/%Y}, Hanoi)",
                f"data date {folder_date:%d/%m/%Y} is in the future (today is "
                f"{today:%d/%m/%Y} in Hanoi); nothing in it is ingested",
                value=name,
                data_date=folder_date,
            )
        )
        return None
    return folder_date


def _discover_unit(
    root: Path,
    folder_date: date,
    e: Entry,
    out: Discovery,
    listing: list[ListedFile] | None = None,
) -> None:
    rel_dir = f"{folder_date.isoformat()}/{e.shown}"
    if e.name.startswith((".", "_")):
        out.notes.append(Note(rel_dir, "ignored: '.' and '_'-prefixed entries are not deliveries"))
        return
    if not e.is_dir and not e.is_file:
        _refuse(out.rejections, rel_dir, e, "folder", data_date=folder_date)
        return
    if not e.is_dir:
        out.notes.append(Note(rel_dir, "ignored: a file where unit folders are expected"))
        return
    if e.name not in UNIT_BY_CODE and e.name != HOI_UNIT:
        out.rejections.append(
            _rejection(
                rel_dir,
                f"a unit folder {min(UNIT_BY_CODE)}..{max(UNIT_BY_CODE)} or {HOI_UNIT}",
                f"{e.shown!r} is not a unit of the branch "
                f"({min(UNIT_BY_CODE)}..{max(UNIT_BY_CODE)}) nor {HOI_UNIT}; "
                "nothing in it is ingested",
                value=e.shown,
                data_date=folder_date,
            )
        )
        return
    content = entries(e.path)
    manifests = sorted(
        ((rev, m) for m in content if (rev := manifest_revision(m.name)) is not None),
        key=lambda t: t[0],
    )
    if listing is not None:
        # read as its next manifest will list it (``discover_folder``)
        revision = next_manifest_revision([r for r, _ in manifests], [n for _, n, _, _ in listing])
        name = manifest_name(revision)
    elif not manifests:
        out.incomplete.append(rel_dir)
        return
    else:
        revision, name = manifests[-1][0], manifests[-1][1].name
    delivery = Delivery(
        data_date=folder_date,
        unit=e.name,
        path=e.path,
        manifest=name,
        manifest_revision=revision,
    )
    out.deliveries.append(delivery)
    _read_delivery(root, delivery, content, {m.name for _, m in manifests} | {name}, listing)


def _reject(delivery: Delivery, file: str, expected: str, message: str, value=None) -> None:
    delivery.rejections.append(
        _rejection(file, expected, message, value, data_date=delivery.data_date, unit=delivery.unit)
    )


def manifest_text(listing: Iterable[ListedFile]) -> str:
    """A manifest listing these files (the inverse of ``parse_manifest``): UTF-8 text, header
    ``file_name,bytes,sha256``, one line per file in name order, ``\n`` line ends."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["file_name", "bytes", "sha256"])
    for _, name, size, sha in sorted(listing, key=lambda t: t[1]):
        w.writerow([name, size, sha])
    return out.getvalue()


def parse_manifest(text: str) -> list[ListedFile]:
    """Rows of a manifest as (line number, file name, bytes, sha256); ValueError if malformed."""
    text = text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [fold(c) for c in rows[0]] != ["file_name", "bytes", "sha256"]:
        raise ValueError(
            "line 1: header must be 'file_name,bytes,sha256', found "
            + (repr(printable(",".join(rows[0]))[:80]) if rows else "an empty file")
        )
    out = []
    for i, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != 3:
            raise ValueError(f"line {i}: expected 3 fields, found {len(row)}")
        name, size, sha = (c.strip() for c in row)
        if not size.isdigit():
            raise ValueError(f"line {i}: bytes {printable(size)[:40]!r} is not a whole number")
        if not _SHA.fullmatch(sha.lower()):
            raise ValueError(
                f"line {i}: sha256 {printable(sha)[:80]!r} is not 64 hexadecimal digits"
            )
        if "/" in name or "\\" in name or not name or name in (".", ".."):
            raise ValueError(
                f"line {i}: file name {printable(name)[:120]!r} must be a plain name in the folder"
            )
        out.append((i, name, int(size), sha.lower()))
    return out


def next_manifest_revision(manifests: Iterable[int], file_names: Iterable[str]) -> int:
    """The revision of the manifest that lists a folder as it now stands (contract §1): the
    first delivery's is ``manifest.csv``; a re-delivery's is one above the latest manifest's,
    and at least the highest ``_rN`` of its files (an ``_r3`` file comes with
    ``manifest_r3.csv``)."""
    latest = max(manifests, default=0)
    highest_file = max((revision_of(n) or 1 for n in file_names), default=1)
    return max(latest + 1, highest_file)


def _read_delivery(
    root: Path,
    d: Delivery,
    content: list[Entry],
    manifest_names: set[str],
    listing: list[ListedFile] | None = None,
) -> None:
    by_name = {e.name: e for e in content}
    listed = _manifest_listing(d, by_name) if listing is None else listing
    if listed is None:
        return
    _current_files(root, d, content, manifest_names, listed)


def _manifest_listing(d: Delivery, by_name: dict[str, Entry]) -> list[ListedFile] | None:
    """The rows of the delivery's current manifest; None (and a rejection) if unreadable."""
    manifest_rel = f"{d.rel}/{printable(d.manifest)}"
    try:
        if not by_name[d.manifest].is_file:
            raise ValueError(
                f"it is {by_name[d.manifest].kind}, not a regular file; links are not followed"
            )
        text = read_regular_file(d.path / d.manifest, limit=MAX_MANIFEST_BYTES).decode("utf-8")
        listed = parse_manifest(text)
    except FileProblems as exc:
        _reject(
            d,
            manifest_rel,
            "a manifest 'file_name,bytes,sha256' in UTF-8",
            f"unreadable manifest ({exc.problems[0].problem}); nothing of this delivery is "
            "ingested",
        )
        return None
    except (UnicodeDecodeError, ValueError) as exc:
        _reject(
            d,
            manifest_rel,
            "a manifest 'file_name,bytes,sha256' in UTF-8",
            f"unreadable manifest ({printable(str(exc))[:300]}); nothing of this delivery is "
            "ingested",
        )
        return None
    return listed


def _current_files(
    root: Path,
    d: Delivery,
    content: list[Entry],
    manifest_names: set[str],
    listed: list[ListedFile],
) -> None:
    """The delivery's current files from its listing: every listed file judged (name, date,
    unit, presence, size), the highest revision of each report kept, the rest noted."""
    rel_dir = d.rel
    by_name = {e.name: e for e in content}
    listed_names = {name for _, name, _, _ in listed}
    for e in content:
        if e.name in manifest_names and e.is_file:
            continue
        rel = f"{rel_dir}/{e.shown}"
        if not e.is_dir and not e.is_file:
            if e.name not in listed_names:  # a listed one is refused below, once
                _refuse(d.rejections, rel, e, "file", data_date=d.data_date, unit=d.unit)
        elif e.name.startswith((".", "_")):
            d.notes.append(Note(rel, "ignored: '.' and '_'-prefixed entries are not data"))
        elif e.is_dir:
            d.notes.append(Note(rel, "ignored: sub-folder inside a delivery folder"))
        elif e.name not in listed_names:
            rev = revision_of(e.name)
            if rev is not None and rev > d.manifest_revision:
                d.notes.append(
                    Note(
                        rel,
                        f"ignored: a revision r{rev} without its manifest_r{rev}.csv (the "
                        f"re-delivery is complete only once its manifest is written; "
                        f"{d.manifest} is current)",
                    )
                )
            else:
                d.notes.append(Note(rel, f"ignored: not listed in {d.manifest}"))

    by_key: dict[tuple, list[DeliveryFile]] = defaultdict(list)
    seen: set[str] = set()
    for line, name, size, sha in listed:
        rel = f"{rel_dir}/{printable(name)}"
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
                f"unknown report type: {printable(str(exc))}",
                value=printable(name),
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
        entry = by_name.get(name)
        if entry is None:
            _reject(
                d,
                rel,
                f"the file listed in {d.manifest}",
                f"listed in {d.manifest} (line {line}) but missing from the folder",
            )
            continue
        if not entry.is_file:
            _refuse(d.rejections, rel, entry, "file", data_date=d.data_date, unit=d.unit)
            continue
        if not inside(root, entry.path):  # a folder on the way was swapped for a link
            _reject(
                d,
                rel,
                "a regular file physically inside the raw folder",
                "resolves outside the raw folder; not read",
            )
            continue
        if entry.size != size:
            _reject(
                d,
                rel,
                f"{size} bytes (manifest)",
                f"corrupt: {entry.size} bytes on disk, {d.manifest} line {line} says {size}",
                value=str(entry.size),
            )
            continue
        by_key[(spec.code, parsed.unit)].append(
            DeliveryFile(
                path=entry.path,
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


# Load order inside a delivery: the reports that define commune names (M31) first, so that a
# 01.1 form can map its names with them; then the contract's order.
_LOAD_ORDER = tuple(
    s.code for s in sorted(REPORTS, key=lambda s: (s.commune_names is None, REPORTS.index(s)))
)
