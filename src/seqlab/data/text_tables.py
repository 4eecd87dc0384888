"""Labelled texts from files: tables (TSV, CSV, JSON Lines), plain text, or one folder per label.

``read_labelled_texts`` returns a ``TextTable``: the texts, their labels and, for every row, a
``where`` string a user can open (``"/abs/path/train.tsv:57"``, the 1-based physical line, the
header being line 1; the file's path in the folder-per-label layout). Every problem raises
``DataError`` naming the file and the line. Empty texts are kept: whether they are an error
(training) or a warning (prediction) is for the task to decide, with ``empty_rows``.

Layouts read (one reader each, in ``text_formats.py``):

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

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seqlab.data.registry import resolve
from seqlab.data.text_formats import (LABEL_COLUMNS, TEXT_COLUMNS, UNLABELLED_FOLDERS, file_format, read_delimited,
                                      read_folder, read_jsonl, read_lines)
from seqlab.errors import DataError

__all__ = ["LABEL_COLUMNS", "TEXT_COLUMNS", "UNLABELLED_FOLDERS", "TextTable", "empty_rows", "read_labelled_texts",
           "read_text_table"]

_TABLES = (".tsv", ".csv", ".jsonl", ".ndjson")


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
    kind = "folder" if path.is_dir() else file_format(path)
    if column_names is not None and kind not in (".csv", ".tsv"):
        raise DataError(f"{path}: column_names applies to headerless .csv and .tsv files, not to a {kind} source")
    if kind == "folder":
        texts, labels, where = read_folder(path, labelled)
    elif kind in (".tsv", ".csv"):
        delimiter = "\t" if kind == ".tsv" else ","
        texts, labels, where = read_delimited(path, delimiter, text_col, label_col, labelled, column_names)
    elif kind in (".jsonl", ".ndjson"):
        texts, labels, where = read_jsonl(path, text_col, label_col, labelled)
    elif kind == ".txt":
        if labelled:
            raise DataError(
                f"{path}: a .txt file holds texts only (one per line), without labels; to train, use a .tsv, "
                ".csv or .jsonl table with a label column, or a folder with one subfolder per label"
            )
        texts, labels, where = read_lines(path)
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
    kind = file_format(path)
    if kind not in _TABLES:
        raise DataError(f"{path}: unknown text table format '{kind}'; use .tsv, .csv or .jsonl (optionally .gz)")
    table = read_labelled_texts(path, text_col, label_col, labelled=label_col is not None)
    return table.texts, table.labels
