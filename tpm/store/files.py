"""The database file: where it is, that only its owner may read it (survey answers), and the flag
by which a CLI writer asks the dashboard to step back."""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: the writer flag falls back to its age
    fcntl = None

import duckdb

DEFAULT_DB = Path("data") / "tpm.duckdb"
PRIVATE_MODE = 0o600  # the database, its write-ahead log and writer flag: the owner only (survey answers)


def db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """``--db`` if given, else ``$TPM_DB``, else ``data/tpm.duckdb``."""
    return Path(cli_value or os.environ.get("TPM_DB") or DEFAULT_DB)


class Busy(Exception):
    """The database file is held by another process (an import from the CLI, or the dashboard) for too long."""


def is_locked(exc: BaseException) -> bool:
    """DuckDB refused the file because another process holds its lock."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def writer_flag(path: str | os.PathLike) -> Path:
    """A file that says "a writer (the CLI) waits for or holds this database": readers then step back."""
    path = Path(path)
    return path.with_name(path.name + ".writer")


WRITER_FLAG_MAX_AGE = 120.0  # seconds; without fcntl (Windows) an older flag was left by a killed process


def writer_waiting(path: str | os.PathLike) -> bool:
    """True while a live writer announces itself on :func:`writer_flag`.

    The writer holds a shared ``flock`` on the flag for as long as it waits or writes; the kernel
    drops it the moment the process ends, however it ends (a SIGKILLed import left the file behind,
    and visitors saw "busy" for two minutes). So the lock is the signal, not the file: a reader
    asks for an exclusive lock without blocking, which is refused exactly while a writer lives.
    Two readers asking at the same instant refuse each other for microseconds: asked again.
    """
    flag = writer_flag(path)
    if fcntl is None:
        try:
            return time.time() - flag.stat().st_mtime < WRITER_FLAG_MAX_AGE
        except OSError:
            return False
    try:
        fd = os.open(flag, os.O_RDONLY)
    except OSError:
        return False
    try:
        for _ in range(3):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True
    finally:
        os.close(fd)


@contextmanager
def announced_writer(path: str | os.PathLike):
    """Hold the writer flag of ``path`` (see :func:`writer_waiting`) for the block.

    The flag file stays when the block ends: removing it could race with the next writer, who may
    already hold a lock on it, and a file without a lock means nothing.
    """
    flag = writer_flag(path)
    fd = os.open(flag, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_SH)  # shared: several CLI writers may wait at once
        else:
            os.utime(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())  # for a person looking at it
        yield flag
    finally:
        os.close(fd)  # releases the lock


# --- operations: private files, a full disk, a damaged file

log = logging.getLogger(__name__)


def _private_umask() -> None:
    """This process creates no file that others may read (its umask gains 077).

    DuckDB makes the write-ahead log anew at the first write after each checkpoint, with the
    process's umask: a chmod afterwards would leave every new log (the rows just imported)
    readable by everyone until then. Set before the first file is made; never loosened."""
    os.umask(os.umask(0o077) | 0o077)


def private_files(path: str | os.PathLike) -> None:
    """The database, its write-ahead log and writer flag: the owner's only (:data:`PRIVATE_MODE`).

    A file made by an older version (or copied in) that group or others may read is tightened,
    with a warning in the log: it held the survey answers open to every account on the machine."""
    path = Path(path)
    for file in (path, path.with_name(path.name + ".wal"), writer_flag(path)):
        try:
            mode = file.stat().st_mode & 0o777
        except OSError:
            continue
        if mode & 0o077:
            os.chmod(file, mode & ~0o077)
            log.warning("%s was readable by %s (mode %o): now %o", file, "others" if mode & 0o007 else "its group",
                        mode, mode & ~0o077)
