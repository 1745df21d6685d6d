"""Output files of the ``skweight`` commands: checked before work, written at once.

A file is written under a temporary name beside its destination and moved
into place with :func:`os.replace`, so a failure or Ctrl-C leaves the
destination as it was: never half-written.
"""

import os
import tempfile
from pathlib import Path

from ._compare_data import InputError


def check_out_file(path, flag="--out"):
    """Check, before any work, that the file ``path`` can be written.

    Raises
    ------
    InputError
        When ``path`` is empty, a folder, in a missing or unwritable folder.
    """
    text = str(path)[:200]
    if str(path) == "":
        raise InputError(f"{flag} '': pass a file name")
    out = Path(path)
    if out.is_dir():
        raise InputError(f"{flag} {text!r} is a folder; pass a file name")
    folder = out.absolute().parent
    if not folder.is_dir():
        raise InputError(f"{flag} {text!r}: the folder {str(folder)[:200]!r} does "
                         "not exist; create it first")
    try:  # a real probe: permissions, read-only mounts
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise InputError(f"{flag} {text!r}: the folder {str(folder)[:200]!r} is not "
                         f"writable ({exc.strerror}); pick another") from exc


def write_atomically(path, write):
    """Call ``write(temporary_path)``, then move the result to ``path``."""
    out = Path(path).absolute()
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp",
                                         dir=out.parent)
    os.close(handle)
    try:
        write(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
