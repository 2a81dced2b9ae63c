"""User data files: CSV, NumPy .npz, HDF5 (lazy), image folders and text folders.

Each loader is `load(ref, folder) -> RawData`: `ref.path` is the user's file or folder relative to the project's
folder, `ref.options` the kind's settings (see README, "User data files"). Loaders never split; a test part the
file already holds (`x_test`/`y_test`) is returned as such. Keras, TensorFlow and h5py are imported only inside
the loaders, so listing dataset names stays cheap.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from builder.data import bad_files
from builder.data.lazy_array import LazyArray
from builder.data.records import CLASSES, REGRESSION, RawData
from builder.errors import DatasetError, LayerboardError
from builder.file_checks import open_hdf5, require_regular_file, require_regular_tree
from builder.project import DatasetRef, resolve_inside

MISSING_TOKENS = {"", "na", "nan", "?"}  # compared after strip() and lower()
MAX_INFERRED_CLASSES = 20  # integer targets with at most this many distinct values are classes
NUMERIC_SHARE = 0.9  # a CSV column is numeric when this share of its non-missing cells are numbers
TASKS = ("classification", "regression")


# --- shared helpers --------------------------------------------------------------------------------------------

def resolve_data_path(ref: DatasetRef, folder: Path, what: str, want_dir: bool = False) -> Path:
    """The user's file or folder, inside the project's folder, that must exist."""
    if not ref.path:
        raise DatasetError(f"Dataset '{ref.name}' needs dataset.path: the {what}, relative to the project's folder.")
    try:
        path = resolve_inside(folder, ref.path)
    except LayerboardError as exc:
        raise DatasetError(str(exc)) from None
    if not path.exists():
        raise DatasetError(f"No {what} at '{path}' (dataset.path '{ref.path}' is resolved inside the project's "
                           f"folder {Path(folder).resolve()}); check the name or move the file there.")
    if want_dir and not path.is_dir():
        raise DatasetError(f"dataset.path '{ref.path}' must be a folder with one sub-folder per class; "
                           f"'{path}' is a file.")
    if not want_dir and path.is_dir():
        raise DatasetError(f"dataset.path '{ref.path}' must be a {what}; '{path}' is a folder.")
    if want_dir:
        return require_regular_tree(path, what, inside=folder, error=DatasetError)
    return require_regular_file(path, what, DatasetError)


def _task(options: dict, inferred: str) -> str:
    task = options.get("task", inferred)
    if task not in TASKS:
        raise DatasetError(f"dataset.options.task must be 'classification' or 'regression'; got {task!r}.")
    return task


def _array_targets(y: np.ndarray, options: dict, class_names) -> tuple[np.ndarray, list[str], str]:
    """(y, class names, output kind) for targets stored as an array (npz, HDF5)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    integer = np.issubdtype(y.dtype, np.integer) or y.dtype == bool
    task = _task(options, "classification" if integer else "regression")
    if task == "regression":
        return y.astype("float32"), [], REGRESSION
    if not integer:
        if not np.issubdtype(y.dtype, np.floating) or not np.all(np.equal(np.mod(y, 1), 0)):
            raise DatasetError(f"task 'classification' needs integer class indices as targets; the targets are "
                               f"{y.dtype} with non-integer values. Store class indices 0..n-1, or use "
                               "task 'regression'.")
    y = y.astype("int64")
    if y.size and y.min() < 0:
        raise DatasetError("Class indices must be 0 or more; the targets hold negative values.")
    count = int(y.max()) + 1 if y.size else 0
    names = [str(n) for n in class_names] if class_names is not None else [str(i) for i in range(count)]
    if len(names) < count:
        raise DatasetError(f"class_names lists {len(names)} names but the targets hold class indices up to "
                           f"{count - 1}; give one name per class.")
    return y, names, CLASSES


def _check_lengths(x_len: int, y_len: int, x_key: str, y_key: str) -> None:
    if x_len != y_len:
        raise DatasetError(f"'{x_key}' has {x_len} samples but '{y_key}' has {y_len}; they must match.")


def _default_test_keys(options: dict, present) -> tuple[str | None, str | None]:
    """The test-part keys: given ones (which must exist), or "x_test"/"y_test" when both are present."""
    x_key, y_key = options.get("x_test"), options.get("y_test")
    if x_key is None and y_key is None:
        return ("x_test", "y_test") if "x_test" in present and "y_test" in present else (None, None)
    if x_key is None or y_key is None:
        raise DatasetError("Give both dataset.options.x_test and y_test, or neither.")
    return x_key, y_key


def _missing_key(key: str, what: str, path: Path, available) -> DatasetError:
    return DatasetError(f"'{path.name}' has no {what} '{key}'. It holds: {', '.join(available) or 'nothing'}. "
                        f"Set dataset.options to one of these.")


# --- CSV -------------------------------------------------------------------------------------------------------

def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_TOKENS


def _as_number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _read_csv(path: Path, delimiter: str) -> tuple[list[str], list[list[str]], list[int]]:
    """(header, rows, each row's line number in the file); a file that is not UTF-8 text is refused, saying so."""
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise DatasetError(f"dataset.options.delimiter must be one character, such as \",\" or \";\"; "
                           f"got {delimiter!r}.")
    text = bad_files.decode_text(path.read_bytes(), lambda problem: DatasetError(
        f"The CSV file '{path}' cannot be read as text: {problem}. Save it as CSV text in UTF-8 (a spreadsheet's "
        "\"CSV UTF-8\"); NumPy and HDF5 files have their own dataset kinds, 'npz' and 'hdf5'."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, lines, line = [], [], 1
    try:
        for row in reader:
            if any(c.strip() for c in row):
                rows.append(row)
                lines.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise DatasetError(f"Row {line} of '{path.name}' cannot be read as CSV: {exc}; fix the row.") from None
    if not rows:
        raise DatasetError(f"The CSV file '{path}' is empty; it needs a header row of column names.")
    header, rows, lines = [c.strip() for c in rows[0]], rows[1:], lines[1:]
    if not rows:
        raise DatasetError(f"The CSV file '{path}' has a header but no data rows.")
    for number, row in zip(lines, rows):
        if len(row) != len(header):
            raise DatasetError(f"Row {number} of '{path.name}' has {len(row)} cells but the header has "
                               f"{len(header)} columns; fix the row (or set dataset.options.delimiter).")
    return header, [[c.strip() for c in row] for row in rows], lines


def _columns_option(options: dict, key: str, header: list[str], default: list[str]) -> list[str]:
    names = options.get(key, default)
    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in header]
    if unknown:
        raise DatasetError(f"dataset.options.{key} names unknown column(s) {', '.join(map(repr, unknown))}; "
                           f"the CSV's columns are: {', '.join(header)}.")
    return names


def _stray_cells(header, rows, lines, used, categorical) -> dict[str, list[tuple[int, str]]]:
    """{column: [(line, cell), ...]}: the text cells of mostly-numeric columns (at least NUMERIC_SHARE of the
    non-missing cells are numbers), made missing in `rows` so that the missing-value policy handles them."""
    strays = {}
    for column in used:
        if column in categorical:
            continue
        i = header.index(column)
        present = [k for k, row in enumerate(rows) if not _is_missing(row[i])]
        text = [k for k in present if _as_number(rows[k][i]) is None]
        if text and len(present) - len(text) >= NUMERIC_SHARE * len(present):
            strays[column] = [(lines[k], rows[k][i]) for k in text]
            for k in text:
                rows[k][i] = ""
    return strays


def _strays_text(strays: dict[str, list[tuple[int, str]]], rows: int) -> str:
    """'column 'w' is numeric but 3 cells are not numbers (row 5 'abc', ...)' for each column, joined."""
    parts = []
    for column, cells in strays.items():
        shown = ", ".join(f"row {line} {cell!r}" for line, cell in cells[:bad_files.SHOWN])
        more = f" and {len(cells) - bad_files.SHOWN} more" if len(cells) > bad_files.SHOWN else ""
        parts.append(f"Column '{column}' is numeric but {len(cells)} of its {rows} cells are not numbers "
                     f"({shown}{more}); they count as missing.")
    return " ".join(parts)


def _handle_missing(header, rows, used, policy, strays=None) -> tuple[list[list[str]], str]:
    """Rows after the `missing` policy ("error", "drop", "mean"), and a note for the description. `strays`
    (from _stray_cells) are text cells of numeric columns, already made missing, to name in the messages."""
    if policy not in ("error", "drop", "mean"):
        raise DatasetError(f"dataset.options.missing must be 'drop' or 'mean'; got {policy!r}.")
    counts = {c: sum(_is_missing(r[header.index(c)]) for r in rows) for c in used}
    counts = {c: n for c, n in counts.items() if n}
    if not counts:
        return rows, ""
    listing = ", ".join(f"'{c}' ({n})" for c, n in counts.items())
    stray_text = f" {_strays_text(strays, len(rows))}" if strays else ""
    if policy == "error":
        raise DatasetError(f"The CSV has {sum(counts.values())} missing cells (empty, NA, nan or ?) in column(s) "
                           f"{listing}.{stray_text} Fill them in, or set dataset.options.missing to 'drop' (drop "
                           "those rows) or 'mean' (numbers get the column mean, categories a 'missing' category).")
    columns = [header.index(c) for c in used] if policy == "drop" else [header.index(used[-1])]  # target last
    kept = [r for r in rows if not any(_is_missing(r[i]) for i in columns)]
    if not kept:
        raise DatasetError(f"Every row has a missing cell in {listing}; nothing is left after dropping them.")
    dropped = len(rows) - len(kept)
    note = f"missing cells in {listing}: " + ("rows dropped" if policy == "drop" else "filled")
    note += f" ({dropped} rows without a target dropped)" if policy == "mean" and dropped else ""
    return kept, note + (f".{stray_text[:-1]}" if strays else "")


def _encode_feature(name: str, cells: list[str], categorical: bool) -> tuple[np.ndarray, list[str]]:
    """One column as float32 feature columns (one-hot for categories) and their names."""
    numbers = None if categorical else [None if _is_missing(c) else _as_number(c) for c in cells]
    if numbers is not None and all(v is not None or _is_missing(c) for v, c in zip(numbers, cells)):
        present = [v for v in numbers if v is not None]
        mean = float(np.mean(present)) if present else 0.0
        return np.array([[mean if v is None else v] for v in numbers], "float32"), [name]
    values = ["missing" if _is_missing(c) else c for c in cells]
    categories = sorted(set(values))
    index = {c: i for i, c in enumerate(categories)}
    onehot = np.zeros((len(values), len(categories)), "float32")
    onehot[np.arange(len(values)), [index[v] for v in values]] = 1.0
    return onehot, [f"{name}={c}" for c in categories]


def _csv_targets(name: str, cells: list[str], options: dict) -> tuple[np.ndarray, list[str], str]:
    numbers = [_as_number(c) for c in cells]
    numeric = all(v is not None for v in numbers)
    integer = numeric and all(float(v).is_integer() for v in numbers)
    inferred = "classification" if not numeric or (integer and len(set(numbers)) <= MAX_INFERRED_CLASSES) \
        else "regression"
    task = _task(options, inferred)
    if task == "regression":
        if not numeric:
            raise DatasetError(f"task 'regression' needs numbers in target column '{name}', but it holds text "
                               "such as " + repr(next(c for c, v in zip(cells, numbers) if v is None)) + ".")
        return np.array(numbers, "float32"), [], REGRESSION
    if numeric:
        distinct = sorted(set(numbers))
        names = [str(int(v)) if float(v).is_integer() else repr(v) for v in distinct]
        index = {v: i for i, v in enumerate(distinct)}
        return np.array([index[v] for v in numbers], "int64"), names, CLASSES
    names = sorted(set(cells))
    index = {c: i for i, c in enumerate(names)}
    return np.array([index[c] for c in cells], "int64"), names, CLASSES


def load_csv(ref: DatasetRef, folder: Path) -> RawData:
    """A CSV file with a header row: one target column, the rest (or `features`) as inputs."""
    options = dict(ref.options)
    path = resolve_data_path(ref, folder, "CSV file")
    header, rows, lines = _read_csv(path, options.get("delimiter", ","))
    target = _columns_option(options, "target", header, [header[-1]])
    if len(target) != 1:
        raise DatasetError(f"dataset.options.target must name one column; got {target}.")
    target = target[0]
    features = _columns_option(options, "features", header, [c for c in header if c != target])
    if target in features:
        raise DatasetError(f"Column '{target}' is the target; remove it from dataset.options.features.")
    if not features:
        raise DatasetError("The CSV has no feature columns besides the target; add columns or set "
                           "dataset.options.features.")
    categorical = set(_columns_option(options, "categorical", header, []))
    strays = _stray_cells(header, rows, lines, features + [target], categorical)
    rows, note = _handle_missing(header, rows, features + [target], options.get("missing", "error"), strays)
    parts, names = [], []
    for column in features:
        values, column_names = _encode_feature(column, [r[header.index(column)] for r in rows],
                                               column in categorical)
        parts.append(values)
        names += column_names
    x = np.concatenate(parts, axis=1)
    y, class_names, output = _csv_targets(target, [r[header.index(target)] for r in rows], options)
    kind = f"{len(class_names)} classes" if output == CLASSES else "regression"
    description = (f"CSV file {ref.path}: {len(rows)} rows, {x.shape[1]} features after one-hot encoding "
                   f"({', '.join(names)}); target '{target}' ({kind}).") + (f" {note}." if note else "")
    return RawData(x, y, class_names, output, description)


# --- NumPy .npz ------------------------------------------------------------------------------------------------

def _float32(x: np.ndarray) -> np.ndarray:
    return x.astype("float32") if x.dtype == np.float64 else x


def load_npz(ref: DatasetRef, folder: Path) -> RawData:
    """A NumPy .npz archive with arrays `x` and `y` (and optionally `x_test`, `y_test`, `class_names`)."""
    options = dict(ref.options)
    path = resolve_data_path(ref, folder, ".npz file")
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise DatasetError(f"'{path}' is not a readable NumPy .npz file: {exc}") from None
    with archive:
        keys = list(archive.files)
        x_key, y_key = options.get("x", "x"), options.get("y", "y")
        xt_key, yt_key = _default_test_keys(options, keys)
        for key in (x_key, y_key, xt_key, yt_key):
            if key is not None and key not in keys:
                raise _missing_key(key, "array", path, keys)
        names = options.get("class_names")
        if names is None and "class_names" in keys:
            names = [str(n) for n in archive["class_names"]]
        try:
            x, y = _float32(archive[x_key]), archive[y_key]
            x_test = _float32(archive[xt_key]) if xt_key else None
            y_test = archive[yt_key] if yt_key else None
        except ValueError as exc:  # e.g. object arrays, which would need pickle (unsafe) to read
            raise DatasetError(f"Cannot read the arrays of '{path}': {exc}. Save plain numeric arrays "
                               "(np.savez with NumPy arrays of numbers).") from None
    return _arrays_raw(x, y, x_test, y_test, (x_key, y_key, xt_key, yt_key), options, names,
                       f"NumPy file {ref.path}: x {x.shape[1:]} {x.dtype}")


# --- HDF5 ------------------------------------------------------------------------------------------------------

def _hdf5_datasets(handle) -> list[str]:
    import h5py

    found: list[str] = []
    handle.visititems(lambda name, item: found.append("/" + name) if isinstance(item, h5py.Dataset) else None)
    return found


def _decode(names) -> list[str]:
    return [n.decode() if isinstance(n, bytes) else str(n) for n in np.atleast_1d(names)]


def load_hdf5(ref: DatasetRef, folder: Path) -> RawData:
    """An HDF5 file: inputs read lazily (LazyArray), targets read into memory."""
    import h5py

    options = dict(ref.options)
    path = resolve_data_path(ref, folder, "HDF5 file")
    if not h5py.is_hdf5(path):
        raise DatasetError(f"'{path}' is not an HDF5 file.")
    with open_hdf5(path, "HDF5 file", DatasetError) as handle:
        present = _hdf5_datasets(handle)
        x_key, y_key = options.get("x", "x"), options.get("y", "y")
        xt_key, yt_key = _default_test_keys(options, [p.lstrip("/") for p in present] + present)
        for key in (x_key, y_key, xt_key, yt_key):
            if key is not None and not isinstance(handle.get(key), h5py.Dataset):
                raise _missing_key(key, "dataset", path, present)
        names = options.get("class_names")
        if names is None and "class_names" in handle.attrs:
            names = _decode(handle.attrs["class_names"])
        y = np.asarray(handle[y_key])
        y_test = np.asarray(handle[yt_key]) if yt_key else None
    x = LazyArray(path, x_key)
    x_test = LazyArray(path, xt_key) if xt_key else None
    return _arrays_raw(x, y, x_test, y_test, (x_key, y_key, xt_key, yt_key), options, names,
                       f"HDF5 file {ref.path}: x {x.shape[1:]} {x.dtype} read from disk as needed")


def _arrays_raw(x, y, x_test, y_test, keys, options: dict, names, what: str) -> RawData:
    """RawData of an npz or HDF5 file: lengths checked, targets typed, the test part's targets typed alike."""
    x_key, y_key, xt_key, yt_key = keys
    _check_lengths(len(x), len(y), x_key, y_key)
    y, class_names, output = _array_targets(y, options, names)
    if x_test is not None:
        _check_lengths(len(x_test), len(y_test), xt_key, yt_key)
        y_test = _array_targets(y_test, {**options, "task": "classification" if output == CLASSES
                                         else "regression"}, class_names or None)[0]
    description = f"{what}, {len(x)} samples" + (f" + {len(x_test)} test samples" if x_test is not None else "") + "."
    return RawData(x, y, class_names, output, description, x_test, y_test)


# --- image and text folders ------------------------------------------------------------------------------------

def _class_folders(path: Path, what: str) -> list[str]:
    folders = sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DatasetError(f"The folder '{path}' has no sub-folders. Put the {what} in one sub-folder per class "
                           f"(e.g. {path.name}/cats/..., {path.name}/dogs/...); the sub-folder names are the "
                           "class names.")
    return folders


def load_image_folder(ref: DatasetRef, folder: Path) -> RawData:
    """A folder of images, one sub-folder per class, resized to `image_size`; pixel values 0..255.

    Every file is decoded here (bad_files.read_class_files), so an unreadable one is named, and left out when
    `skip_bad_files` is true."""
    options = dict(ref.options)
    path = resolve_data_path(ref, folder, "image folder", want_dir=True)
    classes = _class_folders(path, "images")
    size = options.get("image_size", [64, 64])
    size = [size, size] if isinstance(size, int) else size
    if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)):
        raise DatasetError(f"dataset.options.image_size must be [height, width] in pixels; got {size!r}.")
    mode = options.get("color_mode", "rgb")
    if mode not in bad_files.COLOR_CHANNELS:
        raise DatasetError(f"dataset.options.color_mode must be 'rgb', 'rgba' or 'grayscale'; got {mode!r}.")
    reader = bad_files.image_reader(tuple(size), bad_files.COLOR_CHANNELS[mode])
    images, y, skipped = bad_files.read_class_files(path, classes, bad_files.IMAGE_FORMATS, reader, options,
                                                    "images")
    x = np.stack(images).astype("float32")
    description = (f"Image folder {ref.path}: {len(x)} images resized to {x.shape[1:]}, {len(classes)} "
                   "classes; pixel values 0..255, so start the model with a Rescaling(1/255) block."
                   + bad_files.skipped_note(skipped))
    return RawData(x, y, classes, CLASSES, description, skipped=skipped)


def load_text_folder(ref: DatasetRef, folder: Path) -> RawData:
    """A folder of .txt files (UTF-8), one sub-folder per class; x holds the raw strings (for a TextVectorization)."""
    options = dict(ref.options)
    path = resolve_data_path(ref, folder, "text folder", want_dir=True)
    classes = _class_folders(path, ".txt files")
    texts, y, skipped = bad_files.read_class_files(path, classes, bad_files.TEXT_FORMATS, bad_files.read_texts,
                                                   options, "texts")
    x = np.array(texts, dtype=object)
    description = (f"Text folder {ref.path}: {len(x)} documents, {len(classes)} classes; raw strings, so "
                   "start the model with a TextVectorization block." + bad_files.skipped_note(skipped))
    return RawData(x, y, classes, CLASSES, description, skipped=skipped)


LOADERS = {
    "csv": load_csv,
    "npz": load_npz,
    "hdf5": load_hdf5,
    "image_folder": load_image_folder,
    "text_folder": load_text_folder,
}

# The kinds of user file or folder a project's dataset may name.
FILE_KINDS = tuple(LOADERS)
