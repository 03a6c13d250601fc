"""Crash-safe writes and locks in the data directory: a file is either wholly there or not at all.

Every file ecgraph keeps between runs is written to a temporary name beside its
target, flushed to disk (``fsync``) and renamed over the target with
:func:`os.replace`, which POSIX makes atomic: a process killed at any moment
leaves the old file or the new one, never half of one. Writers of the same
folder are serialised with :func:`locked` (``fcntl.flock`` on a lock file, released
by the kernel when the holder dies, so a killed import never leaves a stale lock).

:func:`checkpoint` marks the moments between the steps of a write; the fault
tests pause a child process there (``ECGRAPH_TEST_PAUSE_AT``) and kill it with
SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, TextIO

from ..errors import EcgraphError

TEMP_MARK = ".tmp-"  # temporary files and folders carry it: ``NAME.tmp-PID``; stale ones are removed


def temp_name(path: Path) -> Path:
    """The temporary sibling a write of ``path`` goes to first: ``path.tmp-PID``."""
    return path.with_name(f"{path.name}{TEMP_MARK}{os.getpid()}")


@contextlib.contextmanager
def open_atomic(path: Path, *, pause: str | None = None, binary: bool = False) -> Iterator[TextIO]:
    """Write a text file (or, ``binary``, a bytes one) so that it appears complete or not at all (temp file,
    fsync, rename).

    ``pause`` names the :func:`checkpoint` between the written temporary file and the rename.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.json"
    >>> with open_atomic(target) as fh:
    ...     _ = fh.write("{}")
    >>> target.read_text(), [p.name for p in target.parent.iterdir()]
    ('{}', ['a.json'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        with (tmp.open("wb") if binary else tmp.open("w", encoding="utf-8", newline="")) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if pause:
            checkpoint(pause)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_atomic(path: Path, text: str, *, pause: str | None = None) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`open_atomic`)."""
    with open_atomic(path, pause=pause) as fh:
        fh.write(text)


def fsync_dir(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def stale_temporaries(folder: Path) -> list[Path]:
    """Temporary files and folders in ``folder`` left by a process that is gone (killed mid-write)."""
    if not Path(folder).is_dir():
        return []
    out = []
    for path in Path(folder).iterdir():
        name, mark, pid = path.name.rpartition(TEMP_MARK)
        if mark and name and pid.isdigit() and not _alive(int(pid)):
            out.append(path)
    return out


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    return True


def remove_stale_temporaries(folder: Path) -> int:
    """Delete what :func:`stale_temporaries` finds; returns how many went."""
    import shutil

    gone = 0
    for path in stale_temporaries(folder):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        gone += 1
    return gone


def lock_timeout() -> float:
    """Seconds a writer waits for another one: ``$ECGRAPH_LOCK_TIMEOUT``, default 600."""
    raw = os.environ.get("ECGRAPH_LOCK_TIMEOUT", "600")
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise EcgraphError(f"ECGRAPH_LOCK_TIMEOUT={raw!r} is not a number of seconds") from None


@contextlib.contextmanager
def locked(lock_file: Path, *, what: str, timeout: float | None = None,
           waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_file`` for the block; wait for another holder up to ``timeout`` s.

    ``waiting(message)`` is called once when another process holds the lock (the
    CLI prints it). Past the timeout: :class:`EcgraphError` naming the holder.
    """
    import fcntl

    lock_file = Path(lock_file)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    timeout = lock_timeout() if timeout is None else timeout
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if not told and waiting is not None:
                    waiting(f"waiting for {what} already running{holder} (lock {lock_file})")
                    told = True
                if time.monotonic() >= deadline:
                    raise EcgraphError(f"{lock_file}: {what} already running{holder}; "
                                       f"gave up after {timeout:g} s (ECGRAPH_LOCK_TIMEOUT)") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)  # who holds it, for the message of the next one; not data
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 20, 0).decode().strip()
    except OSError:  # pragma: no cover
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


def checkpoint(name: str) -> None:
    """A named moment between two steps of a write; ``ECGRAPH_TEST_PAUSE_AT=name`` stops there for a fault test.

    The process writes ``ecgraph-paused NAME`` on stderr and stops itself (SIGSTOP): the test
    then kills it (SIGKILL) or lets it go on (SIGCONT).
    """
    wanted = os.environ.get("ECGRAPH_TEST_PAUSE_AT")
    if wanted and wanted == name:
        import signal

        sys.stderr.write(f"ecgraph-paused {name}\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGSTOP)
