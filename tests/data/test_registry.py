"""The built-in ETTh1 file is the published file, byte for byte; names and paths resolve."""

import gzip
from pathlib import Path

import pytest

from seqlab.data.registry import BUILTIN, open_text, resolve
from seqlab.errors import DataError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETTH1 = DATA / "ett" / "ETTh1.csv"


def test_etth1_is_packaged_unmodified():
    path = resolve("etth1")
    assert path.is_file() and path.name == "ETTh1.csv.gz"
    assert path.parent.name == "files" and path.parent.parent.name == "data"
    assert gzip.decompress(path.read_bytes()) == ETTH1.read_bytes()


def test_builtin_names_are_case_insensitive():
    assert "etth1" in BUILTIN
    assert resolve("ETTh1") == resolve("etth1")


def test_packaged_licence_and_attribution():
    files = resolve("etth1").parent
    assert (files / "ETT-LICENSE").read_bytes() == (DATA / "ett" / "LICENSE").read_bytes()
    readme = (files / "README.md").read_text(encoding="utf-8")
    for needle in ("zhouhaoyi/ETDataset", "CC BY-ND 4.0", "Informer", "AAAI", "unmodified", "gzip"):
        assert needle in readme


def test_resolve_paths(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    target = tmp_path / "sub" / "x.csv"
    target.write_text("a\n1\n")
    assert resolve(str(target)) == target
    assert resolve("sub/x.csv", base_dir=tmp_path) == tmp_path / "sub" / "x.csv"
    monkeypatch.chdir(tmp_path)
    assert resolve("sub/x.csv").resolve() == target


def test_resolve_unknown_name_says_what_is_known(tmp_path):
    expected = r"dataset 'nope' not found: not a built-in name \(etth1\) nor an existing path"
    with pytest.raises(DataError, match=expected):
        resolve("nope", base_dir=tmp_path)


def test_open_text_reads_gzip_and_plain_alike(tmp_path):
    plain = tmp_path / "t.txt"
    plain.write_bytes("héllo\nworld\n".encode())
    packed = tmp_path / "t.txt.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    with open_text(plain) as a, open_text(packed) as b:
        assert a.read() == b.read() == "héllo\nworld\n"
    with open_text(resolve("etth1")) as fh:
        assert fh.readline().strip() == "date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT"
