"""Built-in files are the published files, byte for byte; their metadata reads them; names and
paths resolve."""

import gzip
import hashlib
from pathlib import Path

import pytest

from seqlab.data.registry import BUILTIN, builtin_info, open_text, resolve
from seqlab.data.series import infer_frequency, read_series
from seqlab.errors import DataError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETTH1 = DATA / "ett" / "ETTh1.csv"
SHIPPED = {
    "etth1": DATA / "ett" / "ETTh1.csv",
    "etth2": DATA / "ett" / "ETTh2.csv",
    "airline": DATA / "series" / "airline-passengers.csv",
    "sunspots": DATA / "series" / "monthly-sunspots.csv",
    "melbourne-temp": DATA / "series" / "daily-min-temperatures.csv",
}
# md5 hashes in darts (unit8co/darts, darts/datasets/__init__.py, ETTh1Dataset / ETTh2Dataset):
# where the ETTm1/ETTm2 checksums of the registry come from.
DARTS_MD5 = {"etth1": "8381763947c85f4be6ac456c508460d6", "etth2": "51a229a3fc13579dd939364fefe9c7ab"}


def test_etth1_is_packaged_unmodified():
    path = resolve("etth1")
    assert path.is_file() and path.name == "ETTh1.csv.gz"
    assert path.parent.name == "files" and path.parent.parent.name == "data"
    assert gzip.decompress(path.read_bytes()) == ETTH1.read_bytes()


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_file_is_the_original_gzipped_reproducibly(name):
    path = resolve(name)
    packed = path.read_bytes()
    assert path.name == SHIPPED[name].name + ".gz" and not builtin_info(name).remote
    assert gzip.decompress(packed) == SHIPPED[name].read_bytes()
    assert packed[4:8] == b"\x00\x00\x00\x00" and packed[3] & 0x08 == 0  # gzip mtime 0, no file name


@pytest.mark.parametrize("name", sorted(DARTS_MD5))
def test_darts_md5_is_the_md5_of_the_ett_files(name):
    assert hashlib.md5(SHIPPED[name].read_bytes()).hexdigest() == DARTS_MD5[name]


@pytest.mark.parametrize(
    ("name", "shape", "freq"),
    [("etth1", (17420, 8), "h"), ("etth2", (17420, 8), "h"), ("airline", (144, 2), "MS"),
     ("sunspots", (2820, 2), "MS"), ("melbourne-temp", (3652, 2), "D")],
)
def test_metadata_reads_each_builtin(name, shape, freq):
    info = builtin_info(name)
    df = read_series(name, timestamp_col=info.timestamp_col, missing=info.missing)
    assert df.shape == shape and info.target in df.columns
    assert infer_frequency(df[info.timestamp_col]) == freq
    assert info.missing == ("interpolate" if name == "melbourne-temp" else "error")


def test_melbourne_note_says_why_it_interpolates():
    note = builtin_info("Melbourne-Temp").note
    assert "1984-12-31" in note and "1988-12-31" in note and "3,652" in note


def test_remote_builtins_have_checksums_and_the_etdataset_url():
    for name, stem in (("ettm1", "ETTm1"), ("ettm2", "ETTm2")):
        info = builtin_info(name)
        assert info.remote and info.filename == f"{stem}.csv"
        assert info.url == f"https://raw.githubusercontent.com/zhouhaoyi/ETDataset/main/ETT-small/{stem}.csv"
        assert info.checksum.startswith("md5:") and len(info.checksum) == 4 + 32
        assert (info.timestamp_col, info.target, info.missing) == ("date", "OT", "error")
    with pytest.raises(DataError, match=r"unknown built-in dataset 'ettm3'; built-in names: airline, etth1"):
        builtin_info("ettm3")


def test_builtin_names_are_case_insensitive():
    assert "etth1" in BUILTIN
    assert resolve("ETTh1") == resolve("etth1")


def test_packaged_licence_and_attribution():
    files = resolve("etth1").parent
    assert (files / "ETT-LICENSE").read_bytes() == (DATA / "ett" / "LICENSE").read_bytes()
    readme = (files / "README.md").read_text(encoding="utf-8")
    for needle in ("zhouhaoyi/ETDataset", "CC BY-ND 4.0", "Informer", "AAAI", "unmodified", "gzip",
                   "jbrownlee/Datasets", "Time Series Data Library", "Bureau of Meteorology", "Andrews"):
        assert needle in readme
    for name in SHIPPED:
        assert builtin_info(name).filename in readme
        sha = hashlib.sha256(SHIPPED[name].read_bytes()).hexdigest()
        assert sha in readme, f"README lacks the SHA-256 of {name}'s original"


def test_resolve_paths(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    target = tmp_path / "sub" / "x.csv"
    target.write_text("a\n1\n")
    assert resolve(str(target)) == target
    assert resolve("sub/x.csv", base_dir=tmp_path) == tmp_path / "sub" / "x.csv"
    monkeypatch.chdir(tmp_path)
    assert resolve("sub/x.csv").resolve() == target


def test_resolve_unknown_name_says_what_is_known(tmp_path):
    names = ", ".join(sorted(BUILTIN))
    assert names == "airline, etth1, etth2, ettm1, ettm2, melbourne-temp, sunspots"
    expected = rf"dataset 'nope' not found: not a built-in name \({names}\) nor an existing path"
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
