"""What ``nhcs validate`` does and prints (the CLI only parses its options)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from .folder import FolderError
from .manifest import ManifestRefused, write_manifest
from .models import ModelsUnavailable
from .report import summary_vi, write_reports
from .result import EXIT_USAGE, REJECTED
from .run import validate_folder


def validate_command(
    folder: Path,
    out_dir: Path,
    *,
    manifest: bool = False,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Validate ``folder``, write the reports into ``out_dir``, print the summary; with
    ``manifest``, then write the folder's manifest if it passed. Returns the exit status."""
    folder = Path(os.path.abspath(folder))
    out_dir = Path(os.path.abspath(out_dir))
    if out_dir == folder or folder in out_dir.parents:
        print(
            f"nhcs validate: the report cannot go inside the delivery folder {folder} (it "
            "would become a file of the delivery); choose another --out",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        v = validate_folder(folder, workers=workers, progress=progress)
    except (FolderError, FileNotFoundError) as exc:
        print(f"nhcs validate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ModelsUnavailable as exc:
        print(f"nhcs validate: the identities cannot be checked: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for path in write_reports(v, out_dir):
        print(path)
    for line in summary_vi(v):
        print(line)
    for item in v.items:
        if item.kind == REJECTED and not item.context:
            print(f"REJECTED {item.message}", file=sys.stderr)
    print(f"({v.seconds:.1f} s)")
    code = v.exit_code
    if manifest:
        try:
            done = write_manifest(folder, v)
        except ManifestRefused as exc:
            print(f"nhcs validate: {exc}", file=sys.stderr)
            return code or EXIT_USAGE
        print(done.message)
    return code
