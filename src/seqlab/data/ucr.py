"""Readers for the UCR/UEA time-series classification archives: ``.ts``, ``.arff`` and ``.tsv``.

Every reader returns a :class:`SeriesSet`: one array per series, (T_i, D) with D dimensions
(channels), the class label of each as a string, and the line each series came from, so an error
names ``file:line``. Univariate and multivariate, equal and unequal lengths:

- ``.ts`` (sktime/aeon): a header of ``@key value`` lines, then ``@data``; one case per line,
  dimensions separated by ``:``, values by ``,``, the class label last; ``?`` is a missing value.
  Time-stamped series (``@timeStamps true``: ``(time, value)`` pairs) keep their values in order.
- ``.arff`` (Weka; read with ``scipy.io.arff``): univariate files list one numeric attribute per
  step and the class last; UEA multivariate files hold one relational attribute whose rows are
  the dimensions, then the class.
- ``.tsv`` (UCR 2018): the label in the first column, then the values, tab separated; a shorter
  series is padded with ``NaN`` at its end.

Trailing missing values (the padding of an unequal-length series, in every dimension) are cut
off; missing values inside a series stay ``NaN`` for the caller to refuse or fill
(:func:`interpolate_missing`). :func:`resolve_pair` finds the ``_TEST`` file that goes with a
``_TRAIN`` file or a dataset folder.

Example:
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "Toy_TRAIN.ts"
    >>> _ = p.write_text("@problemName Toy\\n@classLabel true a b\\n@data\\n1,2,3:4,5,6:a\\n7,8:9,?:b\\n")
    >>> s = read_series(p)
    >>> s.labels, s.dims, s.lengths, s.series[1][:, 1].tolist()
    (['a', 'b'], 2, [3, 2], [9.0, nan])
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqlab.errors import DataError

FORMATS = (".ts", ".arff", ".tsv")


@dataclass
class SeriesSet:
    """Labelled (or unlabelled) series read from one file.

    Attributes:
        series: one float64 array per series, (T_i, D).
        labels: the class label of each series as written in the file; None when the file has none.
        lines: the 1-based line of each series in ``source``.
        source: the file.
        class_labels: the labels the header declares (``.ts`` ``@classLabel``, ``.arff`` nominal
            class), in the file's order; None when it declares none.
        name: the problem name (header, or the file name without ``_TRAIN``/``_TEST``).
    """

    series: list[np.ndarray]
    labels: list[str] | None
    lines: list[int]
    source: str
    class_labels: list[str] | None = None
    name: str = ""
    info: dict = field(default_factory=dict)

    def where(self, i: int) -> str:
        return f"{self.source}:{self.lines[i]}"

    @property
    def dims(self) -> int:
        return int(self.series[0].shape[1])

    @property
    def lengths(self) -> list[int]:
        return [int(s.shape[0]) for s in self.series]

    @property
    def equal_length(self) -> bool:
        return len(set(self.lengths)) == 1

    def __len__(self) -> int:
        return len(self.series)


def problem_name(path: Path) -> str:
    stem = path.stem
    for suffix in ("_TRAIN", "_TEST"):
        if stem.upper().endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def read_series(path: str | Path, labelled: bool = True) -> SeriesSet:
    """Read a ``.ts``, ``.arff`` or ``.tsv`` file (see the module docstring).

    Raises:
        DataError: the file is missing, empty, of another format, or malformed; the message names
            the file and line.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: no such file; pass a UCR/UEA .ts, .arff or .tsv file, or a dataset folder")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataError(f"{path}: unknown format {path.suffix!r}; expected one of {', '.join(FORMATS)}")
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    reader = {".ts": _read_ts, ".arff": _read_arff, ".tsv": _read_tsv}[suffix]
    out = reader(path, text, labelled)
    if not out.series:
        raise DataError(f"{path}: no series after the header; the file holds no data")
    out.series = [_cut_trailing_missing(s, out, i) for i, s in enumerate(out.series)]
    if not out.name:
        out.name = problem_name(path)
    return out


def _cut_trailing_missing(s: np.ndarray, out: SeriesSet, i: int) -> np.ndarray:
    real = ~np.isnan(s).all(axis=1)  # (T,) a step with any value
    if not real.any():
        raise DataError(f"{out.where(i)}: the series has no values (all missing)")
    return s[: int(np.flatnonzero(real)[-1]) + 1]


def _value(token: str, where: str) -> float:
    token = token.strip()
    if token in ("?", "", "NaN", "nan"):
        return math.nan
    try:
        return float(token)
    except ValueError:
        raise DataError(f"{where}: {token[:40]!r} is not a number") from None


# ------------------------------------------------------------------------------------------
# .ts


def _read_ts(path: Path, text: str, labelled: bool) -> SeriesSet:
    header: dict[str, str] = {}
    series, labels, lines = [], [], []
    in_data = False
    dims = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        if not in_data:
            if not line.startswith("@"):
                raise DataError(f"{where}: expected a header line (@key value) or @data, got {line[:40]!r}; "
                                "is this a .ts file?")
            key, _, value = line[1:].partition(" ")
            key = key.lower()
            if key == "data":
                in_data = True
                _check_ts_header(path, header)
                continue
            header[key] = value.strip()
            continue
        if _flag(header, "timestamps"):
            line = _TIMESTAMPED.sub(r"\2", line)  # (time stamp, value) -> value: the steps keep their order
        parts = line.split(":")
        has_label = _flag(header, "classlabel") if "classlabel" in header else labelled
        if has_label:
            if len(parts) < 2:
                raise DataError(f"{where}: no class label after the values (expected 'values:label')")
            labels.append(parts[-1].strip())
            parts = parts[:-1]
        if dims is None:
            dims = len(parts)
        elif len(parts) != dims:
            raise DataError(f"{where}: {len(parts)} dimension(s), but earlier series have {dims}")
        columns = [[_value(v, where) for v in p.split(",")] if p.strip() else [] for p in parts]
        lengths = {len(c) for c in columns}
        if 0 in lengths:
            raise DataError(f"{where}: an empty dimension (nothing between ':' separators)")
        if len(lengths) > 1:
            width = max(lengths)  # dimensions of one case may differ in length: pad the shorter at the end
            columns = [c + [math.nan] * (width - len(c)) for c in columns]
        series.append(np.asarray(columns, dtype=np.float64).T)  # (T, D)
        lines.append(number)
    if not in_data:
        raise DataError(f"{path}: no @data line; is this a .ts file?")
    declared = None
    if "classlabel" in header:
        words = header["classlabel"].split()
        if _flag(header, "classlabel"):
            declared = words[1:] or None
    if "dimensions" in header and dims is not None:
        try:
            stated = int(header["dimensions"])
        except ValueError:
            raise DataError(f"{path}: @dimensions {header['dimensions']!r} is not an integer") from None
        if stated != dims:
            raise DataError(f"{path}:{lines[0]}: the header says @dimensions {stated}, the data has {dims}")
    out = SeriesSet(series, labels if labels else None, lines, str(path), declared, header.get("problemname", ""),
                    info={"missing_declared": _flag(header, "missing")})
    if declared is not None and out.labels is not None:
        _check_declared(out, declared)
    if header.get("equallength", "").lower() == "true" and header.get("serieslength", "").isdigit():
        T = int(header["serieslength"])
        bad = next((i for i, s in enumerate(series) if s.shape[0] != T), None)
        if bad is not None:
            raise DataError(f"{out.where(bad)}: {series[bad].shape[0]} values, but the header says "
                            f"@seriesLength {T}")
    return out


_TIMESTAMPED = re.compile(r"\(([^()]*),\s*([^(),]*)\)")  # one (time stamp, value) pair of a @timeStamps file


def _flag(header: dict[str, str], key: str) -> bool:
    """Whether a header line such as ``@classLabel True a b`` starts with true (in any case)."""
    words = header.get(key, "").split()
    return bool(words) and words[0].lower() == "true"


def _check_ts_header(path: Path, header: dict[str, str]) -> None:
    if _flag(header, "targetlabel"):
        raise DataError(f"{path}: a regression file (@targetLabel true); seqlab classify needs class labels")


def _check_declared(out: SeriesSet, declared: list[str]) -> None:
    known = set(declared)
    bad = next((i for i, v in enumerate(out.labels) if v not in known), None)
    if bad is not None:
        raise DataError(f"{out.where(bad)}: class label {out.labels[bad]!r} is not among the declared labels "
                        f"{declared}")


# ------------------------------------------------------------------------------------------
# .tsv


def _read_tsv(path: Path, text: str, labelled: bool) -> SeriesSet:
    series, labels, lines = [], [], []
    width = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        cells = raw.rstrip("\r\n").split("\t")
        if len(cells) == 1 and "," in raw:
            raise DataError(f"{where}: no tab in the line; a UCR .tsv file is tab separated (label, then values)")
        if labelled:
            label, cells = cells[0].strip(), cells[1:]
            labels.append(_label_text(label))
        if not cells:
            raise DataError(f"{where}: a label and no values")
        values = [_value(v, where) for v in cells]
        width = width if width is not None else len(values)
        series.append(np.asarray(values, dtype=np.float64)[:, None])  # (T, 1)
        lines.append(number)
    return SeriesSet(series, labels if labelled else None, lines, str(path))


def _label_text(label: str) -> str:
    """UCR .tsv labels are numbers, sometimes written ``1.0000000e+00``: ``1``, as the .ts files write them."""
    try:
        value = float(label)
    except ValueError:
        return label
    return str(int(value)) if value.is_integer() else label


# ------------------------------------------------------------------------------------------
# .arff


def _read_arff(path: Path, text: str, labelled: bool) -> SeriesSet:
    import io

    from scipy.io import arff

    try:
        records, meta = arff.loadarff(io.StringIO(text))
    except Exception as exc:  # scipy raises ParseArffError, ValueError, NotImplementedError ...
        raise DataError(f"{path}: not a readable ARFF file ({exc})") from None
    names = list(meta.names())
    types = list(meta.types())
    data_lines = _arff_data_lines(text)
    if len(data_lines) != len(records):
        data_lines = list(range(1, len(records) + 1))
    class_name = names[-1] if labelled and types[-1] == "nominal" else None
    declared = list(meta[class_name][1]) if class_name is not None else None
    series, labels = [], []
    relational = types[0] == "relational"
    for row_index, record in enumerate(records):
        where = f"{path}:{data_lines[row_index]}"
        if relational:
            inner = record[names[0]]  # one row per dimension, one field per step
            if inner.size == 0:
                raise DataError(f"{where}: an empty relational value (no dimensions)")
            values = np.asarray([list(r) for r in inner], dtype=np.float64).T  # (T, D)
        else:
            value_fields = [n for n, t in zip(names, types) if n != class_name]
            if any(t != "numeric" for n, t in zip(names, types) if n in value_fields):
                raise DataError(f"{path}: every attribute but the class must be numeric for a time series")
            values = np.asarray([record[n] for n in value_fields], dtype=np.float64)[:, None]  # (T, 1)
        series.append(values)
        if class_name is not None:
            label = record[class_name]
            labels.append(label.decode() if isinstance(label, bytes) else str(label))
    out = SeriesSet(series, labels if class_name is not None else None, data_lines, str(path), declared,
                    meta.name)
    if labelled and class_name is None:
        raise DataError(f"{path}: the last attribute ({names[-1]!r}) is not a nominal class; "
                        "a classification file ends with '@attribute class {a,b,...}'")
    if out.labels is not None:
        missing = next((i for i, v in enumerate(out.labels) if v == "?"), None)
        if missing is not None:
            raise DataError(f"{out.where(missing)}: the class label is missing ('?')")
    return out


def _arff_data_lines(text: str) -> list[int]:
    numbers, in_data = [], False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        if in_data:
            numbers.append(number)
        elif line.lower().startswith("@data"):
            in_data = True
    return numbers


# ------------------------------------------------------------------------------------------
# Pairs and missing values


def resolve_pair(path: str | Path) -> tuple[Path, Path | None]:
    """The training file and its ``_TEST`` partner (None if absent) for a file or a dataset folder.

    A folder must hold exactly one ``*_TRAIN.{ts,arff,tsv}`` (``.ts`` preferred when several
    formats are present). A ``X_TRAIN.ext`` file pairs with ``X_TEST.ext`` beside it.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        for ext in FORMATS:
            found = sorted(p for p in path.iterdir() if p.name.upper().endswith(f"_TRAIN{ext.upper()}"))
            if len(found) > 1:
                raise DataError(f"{path}: several training files ({', '.join(p.name for p in found)}); "
                                "pass one of them")
            if found:
                return found[0], partner_of(found[0])
        raise DataError(f"{path}: no *_TRAIN.ts, *_TRAIN.arff or *_TRAIN.tsv file in the folder")
    if not path.is_file():
        raise DataError(f"{path}: no such file or folder")
    return path, partner_of(path)


def partner_of(train: Path) -> Path | None:
    stem = train.stem
    if not stem.upper().endswith("_TRAIN"):
        return None
    for case in ("_TEST", "_test", "_Test"):
        candidate = train.with_name(stem[:-6] + case + train.suffix)
        if candidate.is_file():
            return candidate
    return None


def missing_positions(s: np.ndarray) -> tuple[int, int] | None:
    """(step, dimension) of the first missing value of a series (0-based), or None."""
    bad = np.argwhere(np.isnan(s))
    return None if bad.size == 0 else (int(bad[0][0]), int(bad[0][1]))


def interpolate_missing(s: np.ndarray) -> np.ndarray:
    """Fill missing values of each dimension linearly between known neighbours (constant at the ends).

    Example:
        >>> interpolate_missing(np.array([[1.0], [np.nan], [3.0], [np.nan]]))[:, 0].tolist()
        [1.0, 2.0, 3.0, 3.0]
    """
    out = s.copy()
    steps = np.arange(s.shape[0])
    for d in range(s.shape[1]):
        known = ~np.isnan(s[:, d])
        if not known.any():
            out[:, d] = 0.0
        elif not known.all():
            out[:, d] = np.interp(steps, steps[known], s[known, d])
    return out
