"""Labelled texts from files: tables (TSV, CSV, JSON Lines), plain text, or one folder per label.

``read_labelled_texts`` returns a ``TextTable``: the texts, their labels and, for every row, a
``where`` string a user can open (``"/abs/path/train.tsv:57"``, the 1-based physical line, the
header being line 1; the file's path in the folder-per-label layout). Every problem raises
``DataError`` naming the file and the line. Empty texts are kept: whether they are an error
(training) or a warning (prediction) is for the task to decide, with ``empty_rows``.

Layouts read:

- ``.tsv`` (GLUE style, unquoted), ``.csv`` (quoted fields may span lines), each with a header
  line, or headerless with ``column_names``; ``.jsonl`` / ``.ndjson``, one object per line. Any of
  them may be gzipped (``.gz``, detected by content). Blank lines are skipped.
- ``.txt``: one text per line, no labels (prediction input only); an empty line is an empty text
  (``empty_rows`` finds it), so predictions stay aligned with the lines.
- a folder whose subfolders are label names, each holding ``*.txt`` files, one text per file
  (``aclImdb/train/pos/0_9.txt``); subfolders ``unsup`` / ``unlabeled`` and those without ``.txt``
  files are skipped; files are read in sorted order.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "reviews.csv").write_text('Review,Sentiment\\n"Great, really",pos\\nDull,neg\\n')
    >>> table = read_labelled_texts(folder / "reviews.csv")
    >>> table.texts, table.labels, table.where[1].endswith("reviews.csv:3")
    (['Great, really', 'Dull'], ['pos', 'neg'], True)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seqlab.data.registry import open_binary, resolve
from seqlab.errors import DataError

# Columns tried, in this order and case-insensitively, when none is named.
TEXT_COLUMNS = ("text", "sentence", "review", "content", "document", "comment")
LABEL_COLUMNS = ("label", "labels", "sentiment", "class", "category", "target", "y")
# Subfolders of the folder-per-label layout that hold unlabelled texts (aclImdb/train/unsup).
UNLABELLED_FOLDERS = ("unsup", "unlabeled", "unlabelled")
_TABLES = (".tsv", ".csv", ".jsonl", ".ndjson")
_JSON_TYPES = {type(None): "null", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}


@dataclass
class TextTable:
    """Texts read from one source, with their labels and where each came from.

    Attributes:
        texts: N texts, as written (not stripped; may be empty).
        labels: N stripped label strings, or ``None`` when read without labels.
        where: N locations a user can find: ``"/abs/train.tsv:57"`` (file and 1-based line) for
            tables and ``.txt`` files, the file's absolute path in the folder-per-label layout.
        source: the path or the built-in dataset (``"sst2:dev"``) the rows came from.
    """

    texts: list[str]
    labels: list[str] | None
    where: list[str]
    source: str

    def __post_init__(self) -> None:
        n = len(self.texts)
        if len(self.where) != n or (self.labels is not None and len(self.labels) != n):
            raise ValueError(f"TextTable: {n} texts, {len(self.where)} locations, "
                             f"{'no' if self.labels is None else len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)


def empty_rows(table: TextTable) -> list[int]:
    """Indices of the rows whose text is empty or whitespace only.

    Example:
        >>> empty_rows(TextTable(["ok", " ", ""], None, ["f:1", "f:2", "f:3"], "f"))
        [1, 2]
    """
    return [i for i, text in enumerate(table.texts) if not text.strip()]


# --------------------------------------------------------------------------------------------
# Bytes to text


def _read_utf8(path: Path) -> str:
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


def _format(path: Path) -> str:
    """The format suffix, ``.gz`` ignored: ``"train.tsv.gz"`` -> ``".tsv"``."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    return suffixes[-1] if suffixes else ""


# --------------------------------------------------------------------------------------------
# Columns


def _find(columns: Sequence[str], name: str) -> int | None:
    """Index of column ``name``: an exact match, else the one matching case-insensitively."""
    if name in columns:
        return list(columns).index(name)
    folded = [str(c).strip().lower() for c in columns]
    return folded.index(name.strip().lower()) if name.strip().lower() in folded else None


def _pick(
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
            i = _find(columns, name)
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
            i = _find(columns, name)
            if i is None:
                raise missing(name)
            texts.append(i)
    if not labelled:
        return texts, None
    if label_col is None:
        label = detect(LABEL_COLUMNS, "label", "--label-col (label_col=)")
    else:
        label = _find(columns, label_col)
        if label is None:
            raise missing(label_col)
    if label in texts:
        raise DataError(f"{path}: column '{columns[label]}' is named as both the text and the label")
    return texts, label


# --------------------------------------------------------------------------------------------
# Readers, one per layout; each returns (texts, labels or None, where)

_Rows = tuple[list[str], list[str] | None, list[str]]


def _read_delimited(path: Path, delimiter: str, text_col, label_col, labelled, column_names) -> _Rows:
    # GLUE-style TSV files are not quoted: a '"' inside a sentence is just a character.
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(_read_utf8(path), newline=""), delimiter=delimiter, quoting=quoting)
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
        i_texts, i_label = _pick(path, header, text_col, label_col, labelled, at)
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


def _read_jsonl(path: Path, text_col, label_col, labelled) -> _Rows:
    prefix = f"{path.absolute()}:"
    texts: list[str] = []
    labels: list[str] = []
    where: list[str] = []
    picked: tuple[list[str], str | None] | None = None  # (text keys, label key), from the first record
    for line, raw in enumerate(_read_utf8(path).split("\n"), start=1):
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
            i_texts, i_label = _pick(path, keys, text_col, label_col, labelled, f"line {line}")
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


def _read_lines(path: Path) -> _Rows:
    prefix = f"{path.absolute()}:"
    texts: list[str] = []
    where: list[str] = []
    body = _read_utf8(path)
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line starts no text
    for line, raw in enumerate(lines, start=1):
        texts.append(raw[:-1] if raw.endswith("\r") else raw)  # an empty line stays: outputs align with lines
        where.append(f"{prefix}{line}")
    return texts, None, where


def _txt_files(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.suffix.lower() == ".txt" and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )


def _read_folder(path: Path, labelled: bool) -> _Rows:
    groups = []  # (label, files)
    for sub in sorted((p for p in path.iterdir() if p.is_dir()), key=lambda p: p.name):
        if sub.name.startswith(".") or sub.name.lower() in UNLABELLED_FOLDERS:
            continue
        files = _txt_files(sub)
        if files:
            groups.append((sub.name.strip(), files))
    if not groups and not labelled:
        groups = [("", _txt_files(path))]  # prediction: the .txt files in the folder itself
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
            texts.append(_read_utf8(file))
            labels.append(label)
            where.append(str(file.absolute()))
    return texts, (labels if labelled else None), where


# --------------------------------------------------------------------------------------------
# Public readers


def read_labelled_texts(
    path: str | Path,
    text_col: str | Sequence[str] | None = None,
    label_col: str | None = None,
    *,
    labelled: bool = True,
    column_names: Sequence[str] | None = None,
) -> TextTable:
    """Read texts (and their labels) from a table, a ``.txt`` file or a folder per label.

    Args:
        path: a ``.tsv``, ``.csv``, ``.jsonl`` / ``.ndjson`` file (each optionally ``.gz``), a
            ``.txt`` file (only with ``labelled=False``), or a folder with one subfolder per label.
        text_col: the column (JSON key) holding the text; several columns are joined with a
            space (``["title", "description"]``). ``None`` detects the first of
            ``TEXT_COLUMNS`` present, case-insensitively (the only column of a one-column file
            read with ``labelled=False``). A named column matches exactly, else case-insensitively.
        label_col: the label column; ``None`` detects the first of ``LABEL_COLUMNS`` present.
        labelled: ``False`` reads texts only (prediction input); ``labels`` is then ``None``.
        column_names: the names of the columns of a headerless ``.csv`` / ``.tsv`` (whose first
            line is then data, line 1).

    Returns:
        A ``TextTable`` with ``source`` the path as given.

    Raises:
        DataError: naming the file and the line: the path is missing, not UTF-8, not valid JSON,
            a row has the wrong number of fields, a column is missing (the message lists those
            present and says to pass ``--text-col`` / ``--label-col``), a label is empty, or no
            row is left. Empty texts are not errors (see ``empty_rows``).
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder (looked for {path.absolute()})")
    kind = "folder" if path.is_dir() else _format(path)
    if column_names is not None and kind not in (".csv", ".tsv"):
        raise DataError(f"{path}: column_names applies to headerless .csv and .tsv files, not to a {kind} source")
    if kind == "folder":
        texts, labels, where = _read_folder(path, labelled)
    elif kind in (".tsv", ".csv"):
        delimiter = "\t" if kind == ".tsv" else ","
        texts, labels, where = _read_delimited(path, delimiter, text_col, label_col, labelled, column_names)
    elif kind in (".jsonl", ".ndjson"):
        texts, labels, where = _read_jsonl(path, text_col, label_col, labelled)
    elif kind == ".txt":
        if labelled:
            raise DataError(
                f"{path}: a .txt file holds texts only (one per line), without labels; to train, use a .tsv, "
                ".csv or .jsonl table with a label column, or a folder with one subfolder per label"
            )
        texts, labels, where = _read_lines(path)
    else:
        raise DataError(
            f"{path}: unknown text file format '{kind}'; use .tsv, .csv, .jsonl or .ndjson (optionally .gz), "
            ".txt (texts only), or a folder with one subfolder per label"
        )
    if not texts:
        after_header = kind in (".tsv", ".csv") and column_names is None
        raise DataError(f"{path}: no rows" + (" after the header" if after_header else ""))
    return TextTable(texts=texts, labels=labels, where=where, source=str(path))


def read_text_table(
    path: str | Path,
    text_col: str = "sentence",
    label_col: str | None = "label",
) -> tuple[list[str], list[str] | None]:
    """Read texts and their labels from a ``.tsv``, ``.csv`` or ``.jsonl`` file (``.gz`` allowed).

    The older, table-only form of ``read_labelled_texts`` with the GLUE column names as
    defaults; ``path`` may also be a built-in name of ``seqlab.data.registry``.

    Args:
        path: the file.
        text_col: the column (key) holding the text.
        label_col: the column (key) holding the label; ``None`` to read texts only (prediction).

    Returns:
        ``(texts, labels)``: labels as stripped strings (``"0"``, ``"positive"``), in file order,
        or ``None`` when ``label_col`` is ``None``.

    Raises:
        DataError: as ``read_labelled_texts``; also a file that is not a table.

    Example (with the data at hand)::

        texts, labels = read_text_table("sst2/dev.tsv")
        len(texts), labels[:3]
        # -> (872, ['1', '0', '1'])
    """
    path = resolve(str(path))
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    kind = _format(path)
    if kind not in _TABLES:
        raise DataError(f"{path}: unknown text table format '{kind}'; use .tsv, .csv or .jsonl (optionally .gz)")
    table = read_labelled_texts(path, text_col, label_col, labelled=label_col is not None)
    return table.texts, table.labels
