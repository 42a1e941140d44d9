"""Positional file reads and writes on POSIX: pread, preadv, pwrite (one
system call each, no shared file offset)."""

from __future__ import annotations

import os


def read_at(fd: int, size: int, pos: int) -> bytes:
    return os.pread(fd, size, pos)


def read_into_at(fd: int, buf: memoryview, pos: int) -> int:
    return os.preadv(fd, [buf], pos)


def write_at(fd: int, data, pos: int) -> int:
    return os.pwrite(fd, data, pos)
