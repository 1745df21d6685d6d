"""Tests of skweight.load on damaged and hostile files."""

import json
import zipfile

import pytest

import skweight
from skweight import WeightedKerasClassifier


@pytest.fixture(scope="module")
def saved(binary_data, tmp_path_factory):
    """The bytes of a saved small network, and its members by name."""
    X, y = binary_data
    path = tmp_path_factory.mktemp("saved") / "model.skw"
    WeightedKerasClassifier(hidden_layer_sizes=(4,), epochs=1,
                            random_state=0).fit(X, y).save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return path.read_bytes(), members


def _write(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _manifest(members):
    return json.loads(members["manifest.json"])


def _with_manifest(members, **changes):
    manifest = {**_manifest(members), **changes}
    return {**members, "manifest.json": json.dumps(manifest)}


def _newer_version(members):
    return _with_manifest(members, format_version=2)


def _extra_member(members):
    return {**members, "notes.txt": b"hello"}


def _missing_member(members):
    network = next(name for name in members if name.endswith(".keras"))
    return {name: data for name, data in members.items() if name != network}


def _wrong_digest(members):
    array = next(name for name in members if name.endswith(".npy"))
    data = members[array]
    return {**members, array: data[:-1] + bytes([data[-1] ^ 1])}


def _no_manifest(members):
    return {name: data for name, data in members.items() if name != "manifest.json"}


def _not_json(members):
    return {**members, "manifest.json": b"{not json"}


def _foreign_class(members):
    manifest = _manifest(members)
    manifest["estimator"]["__estimator__"] = "os.system"
    return {**members, "manifest.json": json.dumps(manifest)}


@pytest.mark.parametrize("damage, message", [
    (_newer_version, r"format version 2.*reads format versions up to 1.*Upgrade"),
    (_extra_member, r"does not list: \['notes.txt'\]"),
    (_missing_member, r"missing: \['networks/\d+\.keras'\]"),
    (_wrong_digest, r"does not match its SHA-256"),
    (_no_manifest, r"no manifest.json"),
    (_not_json, r"manifest.json is not valid JSON"),
    (_foreign_class, r"'os.system', which is not a skweight class"),
])
def test_damaged_file_is_refused_with_its_path(saved, tmp_path, damage, message):
    """Check that each damage gives a ValueError naming the file and the fault."""
    _, members = saved
    path = _write(tmp_path / "bad.skw", damage(members))
    with pytest.raises(ValueError, match=message) as info:
        skweight.load(path)
    assert str(path) in str(info.value)


def test_truncated_file_is_refused(saved, tmp_path):
    """Check that a file cut short is reported as truncated."""
    data, _ = saved
    path = tmp_path / "cut.skw"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.skw.*truncated"):
        skweight.load(path)


def test_other_file_is_refused(tmp_path):
    """Check that a file that is no zip at all gets the same clear error."""
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"data\.csv.*not a complete zip"):
        skweight.load(path)
    with pytest.raises(FileNotFoundError, match="not a file"):
        skweight.load(tmp_path / "absent.skw")


@pytest.mark.parametrize("member", ["../escaped.txt", "/tmp/escaped.txt",
                                    "arrays/../../escaped.txt", "a\\..\\escaped.txt"])
def test_member_outside_the_archive_is_refused(saved, tmp_path, member):
    """Check that path-traversing members are refused and nothing is extracted."""
    _, members = saved
    workdir = tmp_path / "work"
    workdir.mkdir()
    manifest = _manifest(members)
    manifest["members"][member] = {"size": 1, "sha256": "0"}
    path = _write(workdir / "evil.skw", {**members, member: b"x",
                                         "manifest.json": json.dumps(manifest)})
    with pytest.raises(ValueError, match="absolute or leads outside the archive"):
        skweight.load(path)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["evil.skw", "work"]
