"""All-or-nothing output directories: the target always holds a complete old or new tree.

A run writes into a sibling ``.<name>.partial-<pid>-<random>`` and, on success, swaps it into place:

* **Linux**: ``renameat2(..., RENAME_EXCHANGE)`` (via ``ctypes``) exchanges the two directories
  in one atomic step, so at every instant ``<name>`` is either the old tree or the new one; the
  old tree, now under the temporary name, is then removed.
* **Fallback** (another OS, or a file system that refuses the exchange): the old tree is renamed
  to ``.<name>.old-<pid>-<random>`` and the new one into place. A kill between those two renames
  leaves no ``<name>``; the next run for the same target renames the old tree back first.

Temporary directories of dead processes (their pid no longer runs) are removed at the start of
the next run for the same target. Every tree written holds a :data:`MARKER` file; ``overwrite``
replaces only a tree with that marker (or an empty directory), never the working directory or
one of its ancestors. Directories are created with the normal umask permissions.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from twin_env.commands.errors import CommandError

__all__ = ["MARKER", "atomic_output_dir", "check_output_dir", "exchange_supported"]

#: The file that marks a directory as written by twin-env (so ``--overwrite`` may replace it).
MARKER = ".twin-env-output"
_MARKER_TEXT = "written by twin-env; --overwrite may replace this directory\n"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2() -> ctypes._CFuncPtr | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.renameat2  # glibc >= 2.28
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_RENAMEAT2 = _renameat2()


def exchange_supported() -> bool:
    """Whether this platform has ``renameat2`` (the file system may still refuse it: then the fallback runs)."""
    return _RENAMEAT2 is not None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap directories ``a`` and ``b``; False if the platform or file system cannot."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _temporaries(target: Path, kind: str) -> list[tuple[Path, int]]:
    """``(path, pid)`` of the ``.<name>.<kind>-<pid>-<random>`` siblings of ``target``."""
    prefix = f".{target.name}.{kind}-"
    found = []
    for path in target.parent.glob(f"{prefix}*"):
        pid = path.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit():
            found.append((path, int(pid)))
    return found


def _clean_stale(target: Path) -> None:
    """Restore an old tree a killed fallback swap left aside; remove temporaries of dead runs."""
    for path, pid in _temporaries(target, "old"):
        if _pid_alive(pid):
            continue
        if not target.exists():
            path.rename(target)
            print(f"twin-env: restored {target} from an interrupted overwrite", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)
    for path, pid in _temporaries(target, "partial"):
        if not _pid_alive(pid):
            shutil.rmtree(path, ignore_errors=True)


def _forbidden(target: Path) -> str | None:
    cwd = Path.cwd().resolve()
    resolved = target.resolve()
    if resolved == cwd or resolved in cwd.parents:
        return "the working directory or one of its parents"
    if resolved == Path.home().resolve() or resolved.parent == resolved:
        return "the home or root directory"
    return None


def _check_target(target: Path, raw: str, overwrite: bool) -> None:
    if raw.strip() in ("", "."):
        raise CommandError(f"--out must name a new or twin-env output directory, got {raw!r}")
    why = _forbidden(target)
    if why is not None:
        raise CommandError(f"--out {raw!r} is {why}; allowed: a new or twin-env output directory")
    if target.is_symlink():
        raise CommandError(f"--out {target} is a symbolic link; allowed: a directory path")
    if target.exists() and not target.is_dir():
        raise CommandError(f"--out {target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            raise CommandError(f"--out {target} is not empty; use --overwrite to replace it")
        if not (target / MARKER).is_file():
            raise CommandError(
                f"--out {target} was not written by twin-env (no {MARKER}); --overwrite replaces only twin-env output"
            )


def _writable_parent(target: Path) -> None:
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise CommandError(f"cannot write to {target}: {parent} is not a writable directory")


def _swap_into_place(work: Path, target: Path) -> None:
    if not target.exists():
        work.rename(target)  # atomic; replaces an empty directory made meanwhile
        return
    if _exchange(work, target):
        shutil.rmtree(work)  # the old tree, now under the temporary name
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    target.rename(old)
    work.rename(target)
    shutil.rmtree(old)


def check_output_dir(target: str | Path, *, overwrite: bool) -> None:
    """Raise :class:`CommandError` now if :func:`atomic_output_dir` would refuse ``target`` (nothing is written)."""
    _check_target(Path(target).absolute(), str(target), overwrite)
    _writable_parent(Path(target).absolute())


@contextlib.contextmanager
def atomic_output_dir(target: str | Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary sibling of ``target`` to write into; on success it replaces ``target`` atomically.

    Refuses a non-empty ``target`` unless ``overwrite`` and it holds :data:`MARKER`; on any error
    (or interrupt) the temporary directory is removed and ``target`` is left as it was.
    """
    check_output_dir(target, overwrite=overwrite)
    target = Path(target).absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale(target)
        work = target.with_name(f".{target.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")
        work.mkdir()  # mode 0o777 & ~umask, like any directory the user makes
        (work / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write to {target}: {exc.strerror or exc}") from None
    try:
        yield work
        _swap_into_place(work, target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
