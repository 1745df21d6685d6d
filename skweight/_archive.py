"""The zip container of skweight's save format: a JSON manifest and its members.

A file is a zip archive holding ``manifest.json`` and the members it lists, each
with its size and SHA-256 digest. Reading checks the archive before anything is
used: every member's name is a plain relative path (no ``..``, no absolute path,
no backslash), every member is listed in the manifest and every listed member
is present, sizes and digests match, and the format version is one this
skweight reads. Members are read into memory by name; nothing is extracted.
"""

import hashlib
import json
import os
import posixpath
import tempfile
import zipfile
import zlib
from pathlib import Path

MANIFEST = "manifest.json"
FORMAT = "skweight"
FORMAT_VERSION = 1


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def write_archive(path, manifest, members):
    """Write ``manifest`` and ``members`` to the zip file ``path``, atomically.

    The archive is written next to ``path`` under a temporary name and moved
    into place, so an interrupted save never leaves a half-written file.

    Parameters
    ----------
    path : str or os.PathLike
    manifest : dict
        JSON-able; ``format``, ``format_version`` and ``members`` are added.
    members : dict of str to bytes
        Member name to content.
    """
    path = Path(path)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **manifest,
        "members": {name: {"size": len(data), "sha256": _digest(data)}
                    for name, data in members.items()},
    }
    text = json.dumps(manifest, indent=1, allow_nan=False)
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=directory)
    try:
        with os.fdopen(handle, "wb") as file, zipfile.ZipFile(
                file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MANIFEST, text)
            for name, data in members.items():
                archive.writestr(name, data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _is_plain_name(name):
    """Whether ``name`` is a relative path inside the archive, without ``..``."""
    if not name or name.startswith("/") or "\\" in name or ":" in name:
        return False
    parts = name.split("/")
    return all(part not in ("", ".", "..") for part in parts) and (
        posixpath.normpath(name) == name)


def _bad(path, what):
    return ValueError(
        f"{str(path)!r} is not a model file skweight can load: {what}. Load only "
        "files written by skweight.save, and save the model again if this one "
        "was damaged in transfer."
    )


def _read_manifest(path, archive):
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(path, f"its {MANIFEST} is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _bad(path, f"its {MANIFEST} does not describe a skweight model")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _bad(path, f"its format version {version!r} is not a positive integer")
    if version > FORMAT_VERSION:
        written_by = manifest.get("versions", {}).get("skweight", "a newer version")
        raise ValueError(
            f"{str(path)!r} has format version {version}, written by skweight "
            f"{written_by}; this skweight reads format versions up to "
            f"{FORMAT_VERSION}. Upgrade skweight (pip install -U skweight) to load it."
        )
    if not isinstance(manifest.get("members"), dict):
        raise _bad(path, f"its {MANIFEST} lists no members")
    return manifest


def read_archive(path):
    """Read and check the archive at ``path``.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    manifest : dict
    members : dict of str to bytes
        The content of every member the manifest lists.

    Raises
    ------
    ValueError
        Naming ``path`` and what is wrong: not a zip or truncated, a member
        outside the archive's root, a member missing or not listed, a size or
        digest that does not match, a format version newer than this skweight's.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise _bad(path, f"it is not a complete zip archive ({exc}); it may be "
                         "truncated") from exc
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        for name in names:
            if not _is_plain_name(name):
                raise _bad(path, f"it holds the member {name!r}, whose path is "
                                 "absolute or leads outside the archive")
        if len(set(names)) != len(names):
            duplicated = sorted({name for name in names if names.count(name) > 1})
            raise _bad(path, f"it holds the member(s) {duplicated!r} more than once")
        if MANIFEST not in names:
            raise _bad(path, f"it has no {MANIFEST}")
        try:
            manifest = _read_manifest(path, archive)
            listed = manifest["members"]
            extra = sorted(set(names) - set(listed) - {MANIFEST})
            if extra:
                raise _bad(path, f"it holds member(s) its manifest does not list: "
                                 f"{extra!r}")
            missing = sorted(set(listed) - set(names))
            if missing:
                raise _bad(path, f"member(s) listed in its manifest are missing: "
                                 f"{missing!r}")
            members = {}
            for info in infos:
                if info.filename == MANIFEST:
                    continue
                expected = listed[info.filename]
                if info.file_size != expected.get("size"):
                    raise _bad(path, f"member {info.filename!r} has "
                                     f"{info.file_size} bytes where the manifest "
                                     f"says {expected.get('size')!r}")
                data = archive.read(info)
                if _digest(data) != expected.get("sha256"):
                    raise _bad(path, f"member {info.filename!r} does not match its "
                                     "SHA-256 digest in the manifest")
                members[info.filename] = data
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise _bad(path, f"reading it failed ({exc}); it may be truncated or "
                             "corrupt") from exc
    return manifest, members
