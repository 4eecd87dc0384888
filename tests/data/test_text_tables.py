"""Labelled texts from tables, .txt files and folders per label: columns, locations, errors."""

import gzip
from pathlib import Path

import pytest

from seqlab.data.text import read_text_table
from seqlab.data.text_tables import TextTable, empty_rows, read_labelled_texts
from seqlab.errors import DataError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SST2_TRAIN = DATA / "sst2" / "train.tsv"
SST2_DEV = DATA / "sst2" / "dev.tsv"


def _write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# ---------------------------------------------------------------------------------- tables


def test_sst2_with_detected_columns_and_locations():
    table = read_labelled_texts(SST2_TRAIN)
    assert isinstance(table, TextTable) and len(table) == 67349
    assert (table.texts, table.labels) == read_text_table(SST2_TRAIN)
    assert table.where[0] == f"{SST2_TRAIN.absolute()}:2" and table.where[-1] == f"{SST2_TRAIN.absolute()}:67350"
    # where points at the line that holds the text
    lines = SST2_TRAIN.read_text(encoding="utf-8").split("\n")
    for i in (0, 1234, 67348):
        assert lines[int(table.where[i].rsplit(":", 1)[1]) - 1] == f"{table.texts[i]}\t{table.labels[i]}"
    assert table.source == str(SST2_TRAIN) and empty_rows(table) == []


def test_gzipped_tsv_equals_plain(tmp_path):
    gz = tmp_path / "dev.tsv.gz"
    gz.write_bytes(gzip.compress(SST2_DEV.read_bytes()))
    plain, packed = read_labelled_texts(SST2_DEV), read_labelled_texts(gz)
    assert (packed.texts, packed.labels) == (plain.texts, plain.labels) and len(packed) == 872
    assert packed.where[5] == f"{gz.absolute()}:7"


def test_columns_detected_case_insensitively_and_joined(tmp_path):
    csv_path = _write(tmp_path / "r.csv", 'ID,Review,Sentiment\n1,"Great, really\nsecond line",pos\n2,Dull,neg\n')
    table = read_labelled_texts(csv_path)
    assert table.texts == ["Great, really\nsecond line", "Dull"] and table.labels == ["pos", "neg"]
    assert [w.rsplit(":", 1)[1] for w in table.where] == ["2", "4"]  # a quoted field spans lines 2-3
    jl = _write(tmp_path / "r.ndjson", '{"Title": "A", "Body": "b", "Category": 3}\n\n{"Title": "C", "Body": "d", "Category": "x"}\n')
    table = read_labelled_texts(jl, ["Title", "body"])
    assert table.texts == ["A b", "C d"] and table.labels == ["3", "x"]
    assert table.where[1].endswith("r.ndjson:3")
    table = read_labelled_texts(_write(tmp_path / "b.csv", "\ufefftext,label\nhi,1\n"))  # a byte-order mark
    assert table.texts == ["hi"]
    crlf = read_labelled_texts(_write(tmp_path / "w.tsv", "sentence\tlabel\r\nfine\t1\r\n"))
    assert crlf.texts == ["fine"] and crlf.labels == ["1"]


def test_undetectable_columns_say_what_is_there(tmp_path):
    path = _write(tmp_path / "t.csv", "body,stars\nnice,5\n")
    with pytest.raises(DataError) as err:
        read_labelled_texts(path)
    msg = str(err.value)
    assert "t.csv: no text column found at line 1" in msg and "available columns: body, stars" in msg
    assert "--text-col" in msg
    with pytest.raises(DataError, match=r"no label column found at line 1 .*available columns: body, stars.*--label-col"):
        read_labelled_texts(path, text_col="body")
    assert read_labelled_texts(path, "body", "stars").labels == ["5"]
    with pytest.raises(DataError, match=r"t\.csv: column 'score' not found at line 1; available columns: body, stars"):
        read_labelled_texts(path, "body", "score")
    jl = _write(tmp_path / "t.jsonl", '{"body": "a", "stars": 1}\n')
    with pytest.raises(DataError, match=r"t\.jsonl: no text column found at line 1 .*available columns: body, stars"):
        read_labelled_texts(jl)


def test_texts_only(tmp_path):
    only = read_labelled_texts(SST2_DEV, labelled=False)
    assert only.labels is None and only.texts == read_labelled_texts(SST2_DEV).texts
    one = read_labelled_texts(_write(tmp_path / "one.csv", "tweet\nhello\n\nbye\n"), labelled=False)
    assert one.texts == ["hello", "bye"] and one.where[1].endswith("one.csv:4")
    txt = _write(tmp_path / "in.txt", "first text\r\n\n   \nlast, no newline")
    table = read_labelled_texts(txt, labelled=False)
    assert table.texts == ["first text", "", "   ", "last, no newline"] and table.labels is None
    assert [w.rsplit(":", 1)[1] for w in table.where] == ["1", "2", "3", "4"]  # one text per line: outputs align
    assert empty_rows(table) == [1, 2]  # kept: the task decides (error to train, warning to predict)
    with pytest.raises(DataError, match=r"in\.txt: a \.txt file holds texts only .* without labels"):
        read_labelled_texts(txt)


def test_headerless_with_column_names(tmp_path):
    path = _write(tmp_path / "news.csv", '"3","Wall St.","Bears claw back"\n"1","Talks","Go on, slowly"\n')
    table = read_labelled_texts(path, ["title", "description"], "class", column_names=["class", "title", "description"])
    assert table.texts == ["Wall St. Bears claw back", "Talks Go on, slowly"] and table.labels == ["3", "1"]
    assert table.where[0].endswith("news.csv:1")
    with pytest.raises(DataError, match=r"news\.csv: column 'text' not found at the column names given"):
        read_labelled_texts(path, "text", "class", column_names=["class", "title", "description"])
    _write(path, '"3","a","b"\n"1","c"\n')
    with pytest.raises(DataError, match=r"news\.csv: line 2 has 2 field\(s\), the header has 3"):
        read_labelled_texts(path, "title", "class", column_names=["class", "title", "description"])
    with pytest.raises(DataError, match="column_names applies to headerless .csv and .tsv"):
        read_labelled_texts(_write(tmp_path / "x.jsonl", "{}\n"), column_names=["a"])


def test_empty_texts_are_kept_and_listed(tmp_path):
    table = read_labelled_texts(_write(tmp_path / "e.tsv", "sentence\tlabel\ngood\t1\n \t0\n\t1\n"))
    assert table.texts == ["good", " ", ""] and empty_rows(table) == [1, 2]
    assert table.where[2].endswith("e.tsv:4")


# ---------------------------------------------------------------------------------- folders


def _imdb_like(root: Path) -> Path:
    for label, names in {"pos": ["10_9.txt", "2_7.txt"], "neg": ["0_2.txt"], "unsup": ["5_0.txt"]}.items():
        (root / label).mkdir(parents=True)
        for name in names:
            (root / label / name).write_text(f"{label} review {name}<br />more", encoding="utf-8")
    (root / "notes").mkdir()  # no .txt files: not a label
    (root / "notes" / "x.md").write_text("n")
    (root / "pos" / ".hidden.txt").write_text("h")
    (root / "urls_pos.txt").write_text("http://x")  # beside the label folders, as in aclImdb/train
    return root


def test_folder_per_label(tmp_path):
    root = _imdb_like(tmp_path / "train")
    table = read_labelled_texts(root)
    assert table.labels == ["neg", "pos", "pos"]  # folders and files in sorted order; unsup skipped
    assert table.texts == ["neg review 0_2.txt<br />more", "pos review 10_9.txt<br />more", "pos review 2_7.txt<br />more"]
    assert table.where == [str((root / "neg" / "0_2.txt").absolute()), str((root / "pos" / "10_9.txt").absolute()),
                           str((root / "pos" / "2_7.txt").absolute())]
    unlabelled = read_labelled_texts(root, labelled=False)
    assert unlabelled.labels is None and unlabelled.texts == table.texts
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "b.txt").write_text("second")
    (flat / "a.txt").write_text("first")
    assert read_labelled_texts(flat, labelled=False).texts == ["first", "second"]
    with pytest.raises(DataError, match=r"flat: no labelled texts: expected one subfolder per label"):
        read_labelled_texts(flat)


def test_folder_file_not_utf8_names_file_and_line(tmp_path):
    root = _imdb_like(tmp_path / "train")
    (root / "neg" / "1_1.txt").write_bytes(b"fine\nalso fine\nbad \xe9 byte\n")
    with pytest.raises(DataError, match=r"1_1\.txt: line 3: not UTF-8 text \(byte 0xe9 at byte 5 of the line\)"):
        read_labelled_texts(root)


# ---------------------------------------------------------------------------------- errors


def test_not_utf8_names_the_line(tmp_path):
    raw = b"sentence\tlabel\nok\t1\nfine\t0\ncaf\xe9\t1\n"
    with pytest.raises(DataError, match=r"bad\.tsv: line 4: not UTF-8 text"):
        read_labelled_texts(_write(tmp_path / "bad.tsv", raw))
    gz = tmp_path / "bad.csv.gz"
    gz.write_bytes(gzip.compress(raw.replace(b"\t", b",")))
    with pytest.raises(DataError, match=r"bad\.csv\.gz: line 4: not UTF-8"):
        read_labelled_texts(gz)
    jl = tmp_path / "bad.jsonl"
    jl.write_bytes(b'{"text": "a", "label": 1}\n{"text": "\xff", "label": 1}\n')
    with pytest.raises(DataError, match=r"bad\.jsonl: line 2: not UTF-8"):
        read_labelled_texts(jl)
    txt = tmp_path / "bad.txt"
    txt.write_bytes(b"a\nb\n\xc3(\n")
    with pytest.raises(DataError, match=r"bad\.txt: line 3: not UTF-8"):
        read_labelled_texts(txt, labelled=False)


def test_malformed_rows_name_file_and_line(tmp_path):
    with pytest.raises(DataError, match=r"x\.tsv: line 3 has 3 field\(s\), the header has 2"):
        read_labelled_texts(_write(tmp_path / "x.tsv", "sentence\tlabel\na\t1\nb\twith tab\t0\n"))
    with pytest.raises(DataError, match=r"x\.jsonl: line 3 is not valid JSON"):
        read_labelled_texts(_write(tmp_path / "x.jsonl", '{"text": "a", "label": 1}\n\n{"text": "b", label: 1}\n'))
    with pytest.raises(DataError, match=r"x\.jsonl: line 1 is a JSON array, expected an object"):
        read_labelled_texts(_write(tmp_path / "x.jsonl", '["a", 1]\n'))
    with pytest.raises(DataError, match=r"x\.jsonl: 'text' at line 2 is a JSON null, expected a string"):
        read_labelled_texts(_write(tmp_path / "x.jsonl", '{"text": "a", "label": 1}\n{"text": null, "label": 1}\n'))


def test_missing_or_empty_labels_name_file_and_line(tmp_path):
    with pytest.raises(DataError, match=r"x\.tsv: empty label in column 'label' at line 4"):
        read_labelled_texts(_write(tmp_path / "x.tsv", "sentence\tlabel\na\t1\n\nb\t \n"))
    with pytest.raises(DataError, match=r"x\.jsonl: column 'label' not found at line 2; available columns: text"):
        read_labelled_texts(_write(tmp_path / "x.jsonl", '{"text": "a", "label": 1}\n{"text": "b"}\n'))
    with pytest.raises(DataError, match=r"x\.jsonl: 'label' at line 1 is null, expected a label"):
        read_labelled_texts(_write(tmp_path / "x.jsonl", '{"text": "a", "label": null}\n'))


def test_missing_empty_and_unknown_files(tmp_path):
    with pytest.raises(DataError, match=r"nothere\.tsv: no such file or folder"):
        read_labelled_texts(tmp_path / "nothere.tsv")
    with pytest.raises(DataError, match=r"e\.tsv: empty file"):
        read_labelled_texts(_write(tmp_path / "e.tsv", ""))
    with pytest.raises(DataError, match=r"h\.csv: no rows after the header"):
        read_labelled_texts(_write(tmp_path / "h.csv", "text,label\n\n"))
    with pytest.raises(DataError, match=r"d\.parquet: unknown text file format '\.parquet'"):
        read_labelled_texts(_write(tmp_path / "d.parquet", "x"))
    with pytest.raises(DataError, match=r"z\.tsv\.gz: cannot read the file"):
        read_labelled_texts(_write(tmp_path / "z.tsv.gz", b"\x1f\x8b\x08\x00broken"))
