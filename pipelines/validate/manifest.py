"""``nhcs validate --write-manifest``: the manifest of a folder that passed, written last.

What the contract (§1) implies, and what is done:

- a folder without a manifest gets ``manifest.csv`` listing every file now in it;
- a folder whose latest manifest already lists it as it stands needs nothing: nothing is written
  (a manifest is part of the delivery: it is never rewritten, even identically);
- a folder holding files its latest manifest does not list is a re-delivery: its next manifest
  ``manifest_rN.csv`` lists the whole folder as it now stands (N one above the latest
  manifest, and at least the highest ``_rN`` of its files: ``discovery.next_manifest_revision``);
- a file that an earlier manifest lists but that changed since, or a folder that fails the
  validation, gets no manifest: the validation says what to fix.

Only the manifest is written (aside as a ``.``-prefixed file, which discovery ignores, then
linked into place so that an existing file is never replaced). The listing is taken again at
writing time and must equal the one validated; a folder that changed in between is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest import folder_listing
from pipelines.ingest.discovery import manifest_text

from .result import Validation


class ManifestRefused(Exception):
    """The manifest cannot be written (the message says why, in Vietnamese)."""


@dataclass(frozen=True)
class ManifestWritten:
    path: Path | None  # None: nothing to write
    message: str  # Vietnamese


def write_manifest(folder: Path, v: Validation) -> ManifestWritten:
    """Write the manifest of ``folder`` after its validation ``v``."""
    folder = Path(folder)
    listing = v.listing
    if not v.passed:
        raise ManifestRefused(
            f"không ghi {v.manifest or 'manifest'}: thư mục chưa đạt kiểm tra ({v.verdict_vi()})"
        )
    if not v.pending or listing is None:
        return ManifestWritten(
            None, f"không cần ghi: {v.manifest} đã liệt kê đúng thư mục như hiện có"
        )
    now = folder_listing(folder)
    if not now:
        raise ManifestRefused("không ghi manifest: thư mục không có tệp nào để gửi")
    if [t[1:] for t in now] != [t[1:] for t in listing]:
        raise ManifestRefused(
            "không ghi manifest: thư mục đã thay đổi trong lúc kiểm tra; hãy chạy lại"
        )
    target = folder / v.manifest
    text = manifest_text(now)
    tmp = folder / f".{v.manifest}.tmp-{os.getpid()}"
    try:
        tmp.write_text(text, encoding="utf-8")
        try:
            os.link(tmp, target)  # fails if the name exists: a manifest is never replaced
        except FileExistsError:
            raise ManifestRefused(
                f"không ghi {v.manifest}: tệp này đã có trong thư mục và không được ghi đè"
            ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return ManifestWritten(target, f"đã ghi {v.manifest} ({len(now)} tệp); thư mục sẵn sàng để gửi")
