"""Files out: written atomically, a temporary file beside the target, then a rename.

An error never leaves a half-written file, and the old file stays whole: the rule of
every file fairlead writes (plans, records, reports).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from fairlead.records._tables import FileError, PathLike


def _new_file_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_text_atomic(path: PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and :func:`os.replace`.

    On any error the temporary file is removed and ``path`` is left as it was. When
    ``path`` is a symbolic link, the file it points to is replaced and the link kept.

    Raises
    ------
    FileError
        When the file cannot be written (missing directory, a directory, permissions),
        naming the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> write_text_atomic(target, "<p>ok</p>")
    >>> target.read_text()
    '<p>ok</p>'
    >>> write_text_atomic(target.parent / "no" / "report.html", "")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fairlead.records.FileError: ...report.html: cannot write: directory ... does not exist
    """
    source = os.fspath(path)
    target = Path(source)
    # Renaming over a link would replace the link itself with a plain file.
    written = Path(os.path.realpath(source)) if target.is_symlink() else target
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{written.name}.", suffix=".tmp", dir=written.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _new_file_mode(written))
        os.replace(tmp, written)
        tmp = None
    except FileNotFoundError:
        raise FileError(
            f"{source}: cannot write: directory {os.fspath(target.parent)!r} does not exist",
            source=source,
        ) from None
    except IsADirectoryError:
        raise FileError(f"{source}: cannot write: is a directory", source=source) from None
    except OSError as exc:
        raise FileError(f"{source}: cannot write: {exc.strerror or exc}", source=source) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
