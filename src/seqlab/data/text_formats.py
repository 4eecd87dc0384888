"""Readers of labelled texts, one per layout: delimited tables, JSON Lines, plain lines, a folder per label.

Each reader returns ``Rows``: ``(texts, labels or None, where)``, ``where`` naming the file and the
1-based line of every text; ``seqlab.data.text_tables.read_labelled_texts`` picks the reader by
the file's format and wraps the rows in a ``TextTable``. Every problem raises ``DataError`` naming
the file and the line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from seqlab.data.registry import open_binary
from seqlab.errors import DataError

# Columns tried, in this order and case-insensitively, when none is named.
TEXT_COLUMNS = ("text", "sentence", "review", "content", "document", "comment")
LABEL_COLUMNS = ("label", "labels", "sentiment", "class", "category", "target", "y")
# Subfolders of the folder-per-label layout that hold unlabelled texts (aclImdb/train/unsup).
UNLABELLED_FOLDERS = ("unsup", "unlabeled", "unlabelled")
_JSON_TYPES = {type(None): "null", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}


# --------------------------------------------------------------------------------------------
# Bytes to text


def read_utf8(path: Path) -> str:
    """The whole file as text (gzip undone); a byte that is not UTF-8 is reported by its line."""
    try:
        with open_binary(path) as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read the file ({exc})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x} "
            f"at byte {exc.start - line_start + 1} of the line); save the file as UTF-8"
        ) from exc
    return text[1:] if text.startswith("\ufeff") else text  # a byte-order mark is not a character of the text


def file_format(path: Path) -> str:
    """The format suffix, ``.gz`` ignored: ``"train.tsv.gz"`` -> ``".tsv"``."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    return suffixes[-1] if suffixes else ""


# --------------------------------------------------------------------------------------------
# Columns


def find_column(columns: Sequence[str], name: str) -> int | None:
    """Index of column ``name``: an exact match, else the one matching case-insensitively."""
    if name in columns:
        return list(columns).index(name)
    folded = [str(c).strip().lower() for c in columns]
    return folded.index(name.strip().lower()) if name.strip().lower() in folded else None


def pick_columns(
    path: Path,
    columns: Sequence[str],
    text_col: str | Sequence[str] | None,
    label_col: str | None,
    labelled: bool,
    at: str,
) -> tuple[list[int], int | None]:
    """(text column indices, label column index or None) in ``columns``; ``at`` says where
    the columns were read ("line 1")."""
    present = ", ".join(map(str, columns)) or "(none)"

    def missing(name: str) -> DataError:
        return DataError(f"{path}: column '{name}' not found at {at}; available columns: {present}")

    def detect(candidates: tuple[str, ...], role: str, option: str) -> int:
        for name in candidates:
            i = find_column(columns, name)
            if i is not None:
                return i
        raise DataError(
            f"{path}: no {role} column found at {at} (looked for {', '.join(candidates)}); "
            f"available columns: {present}; name it with {option}"
        )

    if text_col is None:
        if not labelled and len(columns) == 1:
            texts = [0]  # a one-column file holds texts only
        else:
            texts = [detect(TEXT_COLUMNS, "text", "--text-col (text_col=)")]
    else:
        names = [text_col] if isinstance(text_col, str) else list(text_col)
        texts = []
        for name in names:
            i = find_column(columns, name)
            if i is None:
                raise missing(name)
            texts.append(i)
    if not labelled:
        return texts, None
    if label_col is None:
        label = detect(LABEL_COLUMNS, "label", "--label-col (label_col=)")
    else:
        label = find_column(columns, label_col)
        if label is None:
            raise missing(label_col)
    if label in texts:
        raise DataError(f"{path}: column '{columns[label]}' is named as both the text and the label")
    return texts, label


# --------------------------------------------------------------------------------------------
# Readers, one per layout; each returns (texts, labels or None, where)

Rows = tuple[list[str], list[str] | None, list[str]]


def read_delimited(path: Path, delimiter: str, text_col, label_col, labelled, column_names) -> Rows:
    """A ``.csv`` or ``.tsv`` table with a header line (or the given ``column_names``)."""
    # GLUE-style TSV files are not quoted: a '"' inside a sentence is just a character.
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(read_utf8(path), newline=""), delimiter=delimiter, quoting=quoting)
    prefix = f"{path.absolute()}:"
    texts: list[str] = []
    labels: list[str] = []
    where: list[str] = []
    last_line = 0  # the last line read by the csv reader
    try:
        if column_names is None:
            header = next(reader, None)
            if header is None:
                raise DataError(f"{path}: empty file (expected a header line naming the columns)")
            at = "line 1"
        else:
            header, at = list(column_names), "the column names given"
        i_texts, i_label = pick_columns(path, header, text_col, label_col, labelled, at)
        last_line = reader.line_num
        for row in reader:
            line = last_line + 1  # where this record starts (a quoted field may span lines)
            last_line = reader.line_num
            if not row:
                continue  # blank line
            if len(row) != len(header):
                raise DataError(
                    f"{path}: line {line} has {len(row)} field(s), the header has {len(header)} ({', '.join(header)})"
                )
            texts.append(row[i_texts[0]] if len(i_texts) == 1 else " ".join(row[i] for i in i_texts))
            where.append(f"{prefix}{line}")
            if i_label is not None:
                label = row[i_label].strip()
                if not label:
                    raise DataError(f"{path}: empty label in column '{header[i_label]}' at line {line}")
                labels.append(label)
    except csv.Error as exc:
        raise DataError(f"{path}: line {last_line + 1}: {exc}") from exc
    return texts, (labels if labelled else None), where


def read_jsonl(path: Path, text_col, label_col, labelled) -> Rows:
    """A JSON Lines file, one object per line; the columns are picked from the first object's keys."""
    prefix = f"{path.absolute()}:"
    texts: list[str] = []
    labels: list[str] = []
    where: list[str] = []
    picked: tuple[list[str], str | None] | None = None  # (text keys, label key), from the first record
    for line, raw in enumerate(read_utf8(path).split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: line {line} is not valid JSON ({exc.msg}, column {exc.colno})") from exc
        if not isinstance(record, dict):
            kind = _JSON_TYPES.get(type(record), "value")
            raise DataError(f"{path}: line {line} is a JSON {kind}, expected an object")
        keys = list(record)
        if picked is None:
            i_texts, i_label = pick_columns(path, keys, text_col, label_col, labelled, f"line {line}")
            picked = ([keys[i] for i in i_texts], keys[i_label] if i_label is not None else None)
        text_keys, label_key = picked
        parts = []
        for key in text_keys + ([label_key] if label_key is not None else []):
            if key not in record:
                raise DataError(
                    f"{path}: column '{key}' not found at line {line}; available columns: {', '.join(keys)}"
                )
        for key in text_keys:
            value = record[key]
            if not isinstance(value, str):
                kind = _JSON_TYPES.get(type(value), type(value).__name__)
                raise DataError(f"{path}: '{key}' at line {line} is a JSON {kind}, expected a string")
            parts.append(value)
        texts.append(" ".join(parts))
        where.append(f"{prefix}{line}")
        if label_key is not None:
            label = record[label_key]
            if label is None or isinstance(label, (dict, list)) or str(label).strip() == "":
                raise DataError(f"{path}: '{label_key}' at line {line} is {json.dumps(label)}, expected a label")
            labels.append(str(label).strip())
    if picked is None:
        raise DataError(f"{path}: empty file (no JSON object on any line)")
    return texts, (labels if labelled else None), where


def read_lines(path: Path) -> Rows:
    """A ``.txt`` file, one text per line, no labels; an empty line is an empty text."""
    prefix = f"{path.absolute()}:"
    texts: list[str] = []
    where: list[str] = []
    body = read_utf8(path)
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line starts no text
    for line, raw in enumerate(lines, start=1):
        texts.append(raw[:-1] if raw.endswith("\r") else raw)  # an empty line stays: outputs align with lines
        where.append(f"{prefix}{line}")
    return texts, None, where


def txt_files(folder: Path) -> list[Path]:
    """The visible ``.txt`` files of ``folder``, sorted by name."""
    return sorted(
        (p for p in folder.iterdir() if p.suffix.lower() == ".txt" and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )


def read_folder(path: Path, labelled: bool) -> Rows:
    """A folder with one subfolder per label, one text per ``.txt`` file (``aclImdb/train/pos/*.txt``)."""
    groups = []  # (label, files)
    for sub in sorted((p for p in path.iterdir() if p.is_dir()), key=lambda p: p.name):
        if sub.name.startswith(".") or sub.name.lower() in UNLABELLED_FOLDERS:
            continue
        files = txt_files(sub)
        if files:
            groups.append((sub.name.strip(), files))
    if not groups and not labelled:
        groups = [("", txt_files(path))]  # prediction: the .txt files in the folder itself
    if not groups or not groups[0][1]:
        raise DataError(
            f"{path}: no labelled texts: expected one subfolder per label holding .txt files, one text per "
            f"file (as aclImdb/train/pos/*.txt and aclImdb/train/neg/*.txt)"
            + ("" if labelled else ", or .txt files in the folder itself")
        )
    texts: list[str] = []
    labels: list[str] = []
    where: list[str] = []
    for label, files in groups:
        for file in files:
            texts.append(read_utf8(file))
            labels.append(label)
            where.append(str(file.absolute()))
    return texts, (labels if labelled else None), where
