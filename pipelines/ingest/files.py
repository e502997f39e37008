"""Only regular files physically inside the raw folder are ever read (contract §1, issue 19).

A delivery folder is written by other people's tools; a symbolic link in it would make the
pipeline read (and load, or hash) a file outside ``data/raw``; a FIFO would block the reader
for ever; a device would stream without end. So every entry is judged by ``lstat`` (links are
never followed), every path's resolved form must lie under the resolved raw root, and the file
is opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked again on the open descriptor (a file
swapped for a link between discovery and reading is refused too).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import file_problem, printable


def kind_of(mode: int) -> str:
    """What an ``lstat`` mode is, in words for messages."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


@dataclass(frozen=True)
class Entry:
    """A directory entry as it is on disk (never through a link)."""

    name: str
    path: Path
    mode: int
    size: int

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)

    @property
    def kind(self) -> str:
        return kind_of(self.mode)

    @property
    def shown(self) -> str:
        """The name as it may appear in a message (control characters escaped)."""
        return printable(self.name)


def entries(folder: Path) -> list[Entry]:
    """The entries of a folder, sorted by name, judged without following links."""
    out = []
    with os.scandir(folder) as it:
        for e in it:
            try:
                st = e.stat(follow_symlinks=False)
            except FileNotFoundError:  # removed while we looked
                continue
            out.append(Entry(e.name, Path(e.path), st.st_mode, st.st_size))
    return sorted(out, key=lambda e: e.name)


def inside(root: Path, path: Path) -> bool:
    """``path`` resolves to a place under the resolved ``root`` (no link leads out)."""
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True


def read_regular_file(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file, refusing links, FIFOs, devices and a path that resolves
    elsewhere than it says (a component swapped for a link since discovery). ``limit``: refuse
    a file larger than that many bytes before reading it."""
    path = str(path)
    if os.path.realpath(path) != os.path.abspath(path):
        raise file_problem(
            "a regular file inside the raw folder",
            "is reached through a symbolic link; only files physically inside the raw folder "
            "are read",
        )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the file itself is a link
            raise file_problem(
                "a regular file inside the raw folder",
                "is a symbolic link; only files physically inside the raw folder are read",
            ) from None
        raise file_problem("a readable file", f"cannot be read: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise file_problem(
                "a regular file", f"is {kind_of(st.st_mode)}, not a regular file; not read"
            )
        if limit is not None and st.st_size > limit:
            raise file_problem(
                f"at most {limit:,} bytes",
                f"is {st.st_size:,} bytes, over the budget of {limit:,} bytes per file; not read",
            )
        chunks = []
        left = st.st_size
        while left > 0:
            b = os.read(fd, min(left, 16 * 1024 * 1024))
            if not b:
                break
            chunks.append(b)
            left -= len(b)
        return b"".join(chunks)
    except OSError as exc:
        raise file_problem("a readable file", f"cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a regular file, read in pieces (a manifest's figure for a file of any
    size), refusing links and non-regular files as ``read_regular_file`` does."""
    path = str(path)
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{printable(path)} is not a regular file")
        h = hashlib.sha256()
        while chunk := os.read(fd, 4 * 1024 * 1024):
            h.update(chunk)
        return h.hexdigest()
    finally:
        os.close(fd)
