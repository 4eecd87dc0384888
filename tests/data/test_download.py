"""Verified downloads from a local HTTP server on 127.0.0.1 (tests never touch the internet).

The server stands in for the ETDataset repository: it serves a copy of the real ETTh1.csv under
the name ETTm1.csv, and the tests set the checksum that copy must have."""

import hashlib
import shutil
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from seqlab.data import download, registry
from seqlab.data.download import cache_dir, cached, fetch, parse_checksum
from seqlab.data.registry import BUILTIN, builtin_info, resolve
from seqlab.data.series import read_series
from seqlab.errors import DataError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETTH1 = DATA / "ett" / "ETTh1.csv"
ETTH1_MD5 = "md5:" + hashlib.md5(ETTH1.read_bytes()).hexdigest()


@pytest.fixture
def server(file_server):
    """(base URL, served folder, list of requested paths), serving a copy of ETTh1 as ETTm1.csv."""
    base, served, requests = file_server
    shutil.copyfile(ETTH1, served / "ETTm1.csv")
    return base, served, requests


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SEQLAB_CACHE", str(folder))
    return folder


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------- fetch


def test_fetch_verifies_then_renames(server, tmp_path):
    base, _, requests = server
    dest = tmp_path / "out" / "ETTm1.csv"
    assert fetch(f"{base}/ETTm1.csv", ETTH1_MD5, dest) == dest
    assert dest.read_bytes() == ETTH1.read_bytes() and requests == ["/ETTm1.csv"]
    assert sorted(p.name for p in dest.parent.iterdir()) == ["ETTm1.csv"]  # no temporary file left
    sha256 = hashlib.sha256(ETTH1.read_bytes()).hexdigest().upper()  # either algorithm, any case
    assert fetch(f"{base}/ETTm1.csv", f"SHA256:{sha256}", dest) == dest


def test_wrong_checksum_leaves_nothing(server, tmp_path):
    base, _, _ = server
    url, wrong = f"{base}/ETTm1.csv", "0" * 32
    dest = tmp_path / "out" / "ETTm1.csv"
    with pytest.raises(DataError) as err:
        fetch(url, f"md5:{wrong}", dest)
    assert f"{url}: checksum mismatch, expected md5 {wrong}, got {ETTH1_MD5[4:]}" in str(err.value)
    assert list(dest.parent.iterdir()) == []
    dest.write_text("an older good copy")
    with pytest.raises(DataError, match="checksum mismatch"):
        fetch(url, f"md5:{wrong}", dest)
    assert dest.read_text() == "an older good copy"  # replaced only by a verified file
    assert sorted(p.name for p in dest.parent.iterdir()) == ["ETTm1.csv"]


def test_network_failures_say_to_pass_a_local_path(server, tmp_path):
    base, _, _ = server
    dest = tmp_path / "out" / "x.csv"
    url = f"http://127.0.0.1:{_closed_port()}/ETTm1.csv"
    with pytest.raises(DataError, match=rf"could not download {url} \(.*\).* pass its local path instead"):
        fetch(url, ETTH1_MD5, dest, timeout=5)
    with pytest.raises(DataError, match=r"could not download .*/missing\.csv \(HTTP Error 404"):
        fetch(f"{base}/missing.csv", ETTH1_MD5, dest)
    assert list(dest.parent.iterdir()) == []


def test_checksum_format():
    assert parse_checksum(" SHA256:" + "A" * 64) == ("sha256", "a" * 64)
    for bad in ("md5:123", "crc32:" + "0" * 8, "0" * 32, "md5:" + "g" * 32):
        with pytest.raises(DataError, match="is not 'md5:<32 hex digits>' or 'sha256:<64 hex digits>'"):
            parse_checksum(bad)


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("SEQLAB_CACHE", raising=False)
    assert cache_dir() == Path.home() / ".cache" / "seqlab"
    monkeypatch.setenv("SEQLAB_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"


# ---------------------------------------------------------------------------------- remote built-ins


@pytest.fixture
def ettm1_is_etth1(server, monkeypatch):
    """ettm1 fetched from the local server, expected to be the served ETTh1 copy."""
    base, _, requests = server
    monkeypatch.setenv("SEQLAB_DATA_URL", base + "/")
    monkeypatch.setitem(BUILTIN, "ettm1", replace(BUILTIN["ettm1"], checksum=ETTH1_MD5))
    return requests


def test_resolve_downloads_once_then_uses_the_cache(ettm1_is_etth1, cache):
    requests = ettm1_is_etth1
    path = resolve("ettm1")
    assert path == cache / "ETTm1.csv" and path.read_bytes() == ETTH1.read_bytes()
    assert resolve("ETTm1") == path and requests == ["/ETTm1.csv"]  # the second time: no request
    df = read_series("ettm1", columns=["OT"])
    assert df.shape == (17420, 2) and requests == ["/ETTm1.csv"]


def test_a_damaged_cached_copy_is_downloaded_again(ettm1_is_etth1, cache):
    requests = ettm1_is_etth1
    cache.mkdir()
    (cache / "ETTm1.csv").write_text("date,OT\n2016-07-01 00:00:00,1.0\n")  # truncated
    assert resolve("ettm1").read_bytes() == ETTH1.read_bytes() and requests == ["/ETTm1.csv"]


def test_resolve_with_a_mismatching_checksum(server, cache, monkeypatch):
    base, _, _ = server
    monkeypatch.setenv("SEQLAB_DATA_URL", base)
    expected = builtin_info("ettm1").checksum[4:]  # the real ETTm1 md5; the server has ETTh1
    with pytest.raises(DataError) as err:
        resolve("ettm1")
    assert f"{base}/ETTm1.csv: checksum mismatch, expected md5 {expected}, got {ETTH1_MD5[4:]}" in str(err.value)
    assert not cache.exists() or list(cache.iterdir()) == []


def test_remote_url_and_local_paths(monkeypatch, tmp_path):
    monkeypatch.delenv("SEQLAB_DATA_URL", raising=False)
    info = builtin_info("ettm2")
    assert registry.download_url(info) == info.url
    monkeypatch.setenv("SEQLAB_DATA_URL", "http://mirror.example/ett/")
    assert registry.download_url(info) == "http://mirror.example/ett/ETTm2.csv"
    # A local copy of an ETT file is read by path, with no download.
    local = tmp_path / "ETTm1.csv"
    shutil.copyfile(ETTH1, local)
    assert resolve(str(local)) == local
    assert read_series(local, columns=["OT"]).shape == (17420, 2)


def test_cached_checks_a_file_once_per_process(server, cache, monkeypatch):
    base, _, requests = server
    calls = []
    original = download.file_checksum
    monkeypatch.setattr(download, "file_checksum", lambda *a: calls.append(a) or original(*a))
    first = cached(f"{base}/ETTm1.csv", ETTH1_MD5, "ETTm1.csv")
    assert cached(f"{base}/ETTm1.csv", ETTH1_MD5, "ETTm1.csv") == first
    assert requests == ["/ETTm1.csv"] and calls == []  # verified while downloading, not hashed again
