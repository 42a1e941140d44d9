"""The macOS Support Manager, stamped with a session: a zip of the app bundle
(``Tandem Support Manager.app``) with one more entry, the ticket, at
``<bundle>/Contents/Resources/tandem-session`` (agent/ticket.py reads it from
there). A browser saves a bare executable without the permission to run it;
a zip keeps it (Safari opens zips by itself, Finder on a double-click), and
macOS opens an app bundle with a double-click.

Nothing of the build is recompressed or copied: `stamp` appends the entry the
way ``zipfile``'s append mode does, over a view of the build that keeps what
is written in memory, so the response is the build's bytes up to its central
directory, then a few kilobytes: the new entry, the central directory again
and its end record."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

SESSION_ENTRY = "Contents/Resources/tandem-session"


class _Overlay(io.RawIOBase):
    """A file read from ``path`` whose writes (from one offset on) stay in memory."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._size = self._file.seek(0, io.SEEK_END)
        self._pos = 0
        self.cut: int | None = None  # where the written tail starts
        self.tail = bytearray()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        end = self._size if self.cut is None else self.cut + len(self.tail)
        self._pos = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: end}[whence] + offset
        return self._pos

    def readinto(self, buffer) -> int:
        if self.cut is not None and self._pos >= self.cut:
            data = bytes(self.tail[self._pos - self.cut:self._pos - self.cut + len(buffer)])
        else:
            limit = len(buffer) if self.cut is None else min(len(buffer), self.cut - self._pos)
            self._file.seek(self._pos)
            data = self._file.read(limit)
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def write(self, data) -> int:
        if self.cut is None:
            self.cut = self._pos
        if self._pos < self.cut:
            raise OSError("the build itself is never written")
        at = self._pos - self.cut
        self.tail[at:at + len(data)] = data
        self._pos += len(data)
        return len(data)

    def truncate(self, size: int | None = None) -> int:
        size = self._pos if size is None else size
        if self.cut is not None and size >= self.cut:
            del self.tail[size - self.cut:]
        return size

    def close(self) -> None:
        self._file.close()
        super().close()


def bundle_name(path: Path) -> str:
    """The app bundle's folder in the zip ("Tandem Support Manager.app/")."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            top = name.split("/", 1)[0]
            if top.endswith(".app"):
                return top + "/"
    raise ValueError(f"{path.name} holds no .app bundle")


def stamp(path: Path, token: str) -> tuple[int, bytes]:
    """(n, tail): the stamped zip is the first ``n`` bytes of ``path``, then ``tail``."""
    entry = zipfile.ZipInfo(bundle_name(path) + SESSION_ENTRY, date_time=(2026, 1, 1, 0, 0, 0))
    entry.external_attr = 0o100644 << 16  # a plain file, readable
    entry.compress_type = zipfile.ZIP_STORED
    overlay = _Overlay(path)
    try:
        with zipfile.ZipFile(overlay, "a") as z:
            z.writestr(entry, token.encode("ascii"))
        return overlay.cut, bytes(overlay.tail)
    finally:
        overlay.close()
