"""Built-in text datasets: SST-2 shipped unmodified; IMDB and AG's News downloaded from a local
HTTP server on 127.0.0.1 (tests never touch the internet) serving tiny hand-made copies whose md5
the tests compute and patch in."""

import gzip
import hashlib
import io
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from seqlab.data import textsets
from seqlab.data.download import parse_checksum
from seqlab.data.registry import mirror_url
from seqlab.data.textsets import TEXT_DATASETS, eval_split, is_text_dataset, read_text_source
from seqlab.errors import DataError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
FILES = Path(textsets.__file__).parent / "files"


@pytest.fixture
def server(file_server, tmp_path, monkeypatch):
    """(served folder, list of requested paths) of a server on 127.0.0.1 that $SEQLAB_DATA_URL
    points to, with the cache in tmp_path/cache."""
    base, served, requests = file_server
    monkeypatch.setenv("SEQLAB_DATA_URL", base + "/")
    monkeypatch.setenv("SEQLAB_CACHE", str(tmp_path / "cache"))
    return served, requests


def _md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data).hexdigest()


def _serve_remote(monkeypatch, served: Path, name: str, files: dict[str, bytes]) -> None:
    """Serve ``files`` and make built-in ``name`` expect exactly their bytes."""
    downloads = []
    for download in TEXT_DATASETS[name].downloads:
        served_name = download.url.rsplit("/", 1)[1]
        (served / served_name).write_bytes(files[served_name])
        downloads.append(replace(download, checksum=_md5(files[served_name])))
    monkeypatch.setitem(TEXT_DATASETS, name, replace(TEXT_DATASETS[name], downloads=tuple(downloads)))


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


IMDB = {
    "aclImdb/README": b"Large Movie Review Dataset v1.0",
    "aclImdb/train/pos/0_9.txt": b"A wonderful film.<br /><br />Loved it.",
    "aclImdb/train/pos/1_7.txt": b"Good, mostly.",
    "aclImdb/train/neg/0_3.txt": "Dreadful. Caf\u00e9 scenes only.".encode(),
    "aclImdb/train/unsup/0_0.txt": b"unlabelled review",
    "aclImdb/train/urls_pos.txt": b"http://www.imdb.com/title/tt0453418/usercomments",
    "aclImdb/test/pos/0_10.txt": b"Superb.",
    "aclImdb/test/neg/0_2.txt": b"Awful.",
}


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


# ---------------------------------------------------------------------------------- sst2


@pytest.mark.parametrize("split", ["train", "dev"])
def test_sst2_is_shipped_unmodified_and_reproducibly(split):
    packed = (FILES / f"sst2-{split}.tsv.gz").read_bytes()
    assert gzip.decompress(packed) == (DATA / "sst2" / f"{split}.tsv").read_bytes()
    assert packed[4:8] == b"\x00\x00\x00\x00" and packed[3] & 0x08 == 0  # gzip mtime 0, no file name


def test_read_sst2_by_name():
    train = read_text_source("sst2")
    assert len(train) == 67349 and set(train.labels) == {"0", "1"} and train.source == "sst2:train"
    assert train.texts[0] == "hide new secretions from the parental units " and train.labels[0] == "0"
    assert train.where[0] == f"{(FILES / 'sst2-train.tsv.gz').absolute()}:2"
    dev = read_text_source("SST2:dev")
    assert len(dev) == 872 and dev.source == "sst2:dev"
    assert read_text_source("sst2", split="dev").texts == dev.texts
    only = read_text_source("sst2:dev", labelled=False)
    assert only.labels is None and only.texts == dev.texts
    assert eval_split("sst2") == "dev" and eval_split("imdb") == eval_split("AG_NEWS") == "test"


def test_names_splits_and_paths(tmp_path):
    assert all(is_text_dataset(s) for s in ("sst2", "imdb:test", "Ag_News", "sst2:nosuch"))
    assert not any(is_text_dataset(s) for s in ("sst", "data/train.tsv", Path("sst2"), "C:\\data\\x.tsv"))
    with pytest.raises(DataError, match="text dataset 'sst2' has no split 'test'; splits: train, dev"):
        read_text_source("sst2:test")
    with pytest.raises(DataError, match="unknown text dataset 'sst5'; built-in text datasets: sst2, imdb, ag_news"):
        eval_split("sst5")
    (tmp_path / "train.tsv").write_text("sentence\tlabel\nfine\t1\n")
    table = read_text_source("train.tsv", base_dir=tmp_path, split="ignored for paths")
    assert table.texts == ["fine"] and table.source == str(tmp_path / "train.tsv")
    assert read_text_source(tmp_path / "train.tsv").labels == ["1"]
    with pytest.raises(DataError) as err:
        read_text_source("missing.tsv", base_dir=tmp_path)
    assert f"text data 'missing.tsv' not found: not a built-in text dataset (sst2, imdb, ag_news) nor an existing " \
           f"file or folder (looked for {tmp_path / 'missing.tsv'})" == str(err.value)


def test_the_registry_is_consistent():
    for name, ds in TEXT_DATASETS.items():
        assert name == name.lower() and ds.eval_split in ds.splits and len(ds.paths) == len(ds.splits)
        assert ds.splits[0] == "train" and ds.remote == bool(ds.downloads)
        for download in ds.downloads:
            assert parse_checksum(download.checksum)[0] == "md5"
    assert TEXT_DATASETS["imdb"].downloads[0].checksum == "md5:7c2ac02c03563afcf9b574c7e56c153a"  # torchtext's


def test_mirror_url(monkeypatch):
    url = TEXT_DATASETS["ag_news"].downloads[1].url
    monkeypatch.delenv("SEQLAB_DATA_URL", raising=False)
    assert mirror_url(url) == url
    monkeypatch.setenv("SEQLAB_DATA_URL", "http://mirror.example/text/")
    assert mirror_url(url) == "http://mirror.example/text/test.csv"


# ---------------------------------------------------------------------------------- imdb


def test_imdb_downloads_extracts_once_and_reads_folders(server, monkeypatch, tmp_path):
    served, requests = server
    _serve_remote(monkeypatch, served, "imdb", {"aclImdb_v1.tar.gz": _tar_gz(IMDB)})
    train = read_text_source("imdb")
    assert train.labels == ["neg", "pos", "pos"] and train.source == "imdb:train"  # unsup and urls_*.txt skipped
    assert train.texts == ["Dreadful. Caf\u00e9 scenes only.", "A wonderful film.<br /><br />Loved it.", "Good, mostly."]
    cache = tmp_path / "cache"
    assert train.where[0] == str(cache / "aclImdb" / "train" / "neg" / "0_3.txt")
    test = read_text_source("imdb:test")
    assert test.labels == ["neg", "pos"] and test.texts == ["Awful.", "Superb."]
    assert requests == ["/aclImdb_v1.tar.gz"]  # downloaded and extracted once
    assert _leftovers(cache) == ["aclImdb", "aclImdb_v1.tar.gz"]  # no temporary folder left
    (cache / "aclImdb_v1.tar.gz").unlink()  # the extracted folder is enough
    assert read_text_source("imdb:test").texts == test.texts and requests == ["/aclImdb_v1.tar.gz"]


def test_imdb_stale_extraction_is_replaced(server, monkeypatch, tmp_path):
    served, requests = server
    _serve_remote(monkeypatch, served, "imdb", {"aclImdb_v1.tar.gz": _tar_gz(IMDB)})
    stale = tmp_path / "cache" / "aclImdb" / "test" / "pos"
    stale.mkdir(parents=True)
    (stale / "9_9.txt").write_text("from an older, half-extracted archive")
    assert read_text_source("imdb:test").texts == ["Awful.", "Superb."] and requests == ["/aclImdb_v1.tar.gz"]
    assert not (stale / "9_9.txt").exists()


def test_imdb_checksum_mismatch_leaves_nothing(server, tmp_path):
    served, _ = server
    (served / "aclImdb_v1.tar.gz").write_bytes(_tar_gz(IMDB))  # not the real archive: the real md5 fails
    with pytest.raises(DataError) as err:
        read_text_source("imdb")
    assert "aclImdb_v1.tar.gz: checksum mismatch, expected md5 7c2ac02c03563afcf9b574c7e56c153a, got " in str(err.value)
    assert _leftovers(tmp_path / "cache") == []


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (_tar_gz(IMDB)[:300], "cannot extract the archive"),  # truncated
        (_tar_gz({**IMDB, "aclImdb/../../escape.txt": b"x"}), "cannot extract the archive"),  # unsafe path
        (_tar_gz({"imdb/train/pos/0_1.txt": b"x"}), "expected a folder 'aclImdb' at the top of the archive"),
    ],
    ids=["truncated", "unsafe-member", "no-top-folder"],
)
def test_failed_extraction_leaves_nothing_that_looks_complete(server, monkeypatch, tmp_path, archive, message):
    served, _ = server
    _serve_remote(monkeypatch, served, "imdb", {"aclImdb_v1.tar.gz": archive})
    with pytest.raises(DataError, match=message):
        read_text_source("imdb")
    cache = tmp_path / "cache"
    assert _leftovers(cache) == ["aclImdb_v1.tar.gz"]  # the verified download only: no folder, no .part
    assert not (tmp_path / "escape.txt").exists()


# ---------------------------------------------------------------------------------- ag_news


AG_TRAIN = (
    '"3","Wall St. Bears Claw Back Into the Black (Reuters)","Reuters - Short-sellers are\\nseeing green again."\n'
    '"2","Phelps Wins","He said ""again"", smiling."\n'
    '"1","Talks Resume","Delegates met on Monday."\n'
    '"4","New Chip","Faster, and \\n cheaper."\n'
)
AG_TEST = '"4","Space","A probe launched."\n"1","Vote","Polls opened."\n'


def test_ag_news_joins_title_and_description_and_names_labels(server, monkeypatch, tmp_path):
    served, requests = server
    _serve_remote(monkeypatch, served, "ag_news", {"train.csv": AG_TRAIN.encode(), "test.csv": AG_TEST.encode()})
    test = read_text_source("ag_news:test")
    assert requests == ["/test.csv"]  # only the split asked for
    assert test.labels == ["Sci/Tech", "World"] and test.texts == ["Space A probe launched.", "Vote Polls opened."]
    train = read_text_source("ag_news")
    assert train.labels == ["Business", "Sports", "World", "Sci/Tech"]
    assert train.texts[0] == "Wall St. Bears Claw Back Into the Black (Reuters) Reuters - Short-sellers are seeing green again."
    assert train.texts[1] == 'Phelps Wins He said "again", smiling.'
    assert train.texts[3] == "New Chip Faster, and   cheaper."
    assert train.where[2] == f"{tmp_path / 'cache' / 'ag_news' / 'train.csv'}:3"
    assert sorted(requests) == ["/test.csv", "/train.csv"]


def test_ag_news_unknown_class_names_file_and_line(server, monkeypatch, tmp_path):
    served, _ = server
    bad = AG_TEST + '"5","Odd","Out of range."\n'
    _serve_remote(monkeypatch, served, "ag_news", {"train.csv": AG_TRAIN.encode(), "test.csv": bad.encode()})
    with pytest.raises(DataError, match=r"ag_news/test\.csv:3: label '5' is not one of 1, 2, 3, 4 \(ag_news\)"):
        read_text_source("ag_news:test")
