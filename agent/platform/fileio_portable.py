"""Positional file reads and writes anywhere (Windows has no pread/pwrite):
seek, then read or write. Each file descriptor is used by one request at a
time, so nothing moves its offset in between."""

from __future__ import annotations

import os


def read_at(fd: int, size: int, pos: int) -> bytes:
    os.lseek(fd, pos, os.SEEK_SET)
    return os.read(fd, size)


def read_into_at(fd: int, buf: memoryview, pos: int) -> int:
    os.lseek(fd, pos, os.SEEK_SET)
    with os.fdopen(fd, "rb", buffering=0, closefd=False) as f:
        return f.readinto(buf) or 0


def write_at(fd: int, data, pos: int) -> int:
    os.lseek(fd, pos, os.SEEK_SET)
    view, done = memoryview(data), 0
    while done < len(view):
        done += os.write(fd, view[done:])
    return done
