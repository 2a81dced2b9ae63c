"""Reading the files of image and text folders one by one, so that a bad file is named instead of ending the run,
and reading a CSV file's bytes as text with a plain message when they are not.

A folder's files are listed as Keras's `image_dataset_from_directory` / `text_dataset_from_directory` list them
(one sub-folder per class, walked recursively, files with the kind's extensions, sorted). Each file is read and
decoded once, here, with the decoder Keras's folder loader uses (`tf.io.decode_image`, first frame, then a
bilinear `tf.image.resize`; strict UTF-8 for text); a file that fails becomes a BadFile with what is wrong.
Without `dataset.options.skip_bad_files` the bad files stop the load with one message listing them; with it they
are left out and reported (a logged warning, and RawData.skipped → the description, `datasets --json`, run.json).
"""
from __future__ import annotations

import logging
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np

from builder.data.records import BadFile
from builder.errors import DatasetError

log = logging.getLogger(__name__)
IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # the extensions Keras's image loader reads
TEXT_FORMATS = (".txt",)
SKIP_OPTION = "skip_bad_files"
SHOWN = 10  # bad files named in a message; the rest are counted
COLOR_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
          (b"BM", "BMP"))
_BINARY_MAGIC = _MAGIC[:4] + ((b"PK\x03\x04", "zip or Excel .xlsx"), (b"\x89HDF", "HDF5"),
                              (b"\x93NUMPY", "NumPy .npy"))  # BMP's "BM" may well start a text


class _Unreadable(Exception):
    """One file's problem, in words (becomes a BadFile)."""


# --- options and messages --------------------------------------------------------------------------------------

def skip_bad_files(options: dict) -> bool:
    """dataset.options.skip_bad_files: true or false (default false)."""
    value = options.get(SKIP_OPTION, False)
    if not isinstance(value, bool):
        raise DatasetError(f"dataset.options.{SKIP_OPTION} must be true or false; got {value!r}.")
    return value


def listing(bad: list[BadFile]) -> str:
    """'a.png (empty file); b.png (...)', the first SHOWN of them and a count of the rest."""
    shown = "; ".join(f"{b.file} ({b.problem})" for b in bad[:SHOWN])
    return shown + (f"; and {len(bad) - SHOWN} more" if len(bad) > SHOWN else "")


def skipped_note(bad: list[BadFile]) -> str:
    """The sentence a description ends with when files were skipped ("" when none were)."""
    if not bad:
        return ""
    return f" Skipped {_files(len(bad), 'unreadable ')} (dataset.options.{SKIP_OPTION}): {listing(bad)}."


def _files(count: int, adjective: str = "") -> str:
    return f"{count} {adjective}file{'s' if count != 1 else ''}"


# --- listing and reading a class folder ------------------------------------------------------------------------

def class_files(path: Path, classes: list[str], formats: tuple[str, ...]) -> list[tuple[Path, int]]:
    """(file, class index) for every file with one of `formats`, in Keras's order (class, folder, name)."""
    found = []
    for label, name in enumerate(classes):
        for root, _, files in sorted(os.walk(path / name), key=lambda walked: walked[0]):
            found += [(Path(root) / f, label) for f in sorted(files) if f.lower().endswith(formats)]
    return found


Results = list[tuple[object, "str | None"]]  # per file: (sample, None), or (None, what is wrong)


def read_class_files(path: Path, classes: list[str], formats: tuple[str, ...],
                     read_all: Callable[[list[Path]], Results], options: dict, what: str) -> tuple[list, np.ndarray, list[BadFile]]:
    """(samples, class indices, skipped files) of a class folder; bad files stop the load unless skipped.
    `read_all` reads every file (image_reader's, or read_texts)."""
    skip = skip_bad_files(options)
    files = class_files(path, classes, formats)
    if not files:
        raise DatasetError(f"Cannot read {what} from '{path}': its sub-folders ({', '.join(classes)}) hold no "
                           f"{'/'.join(formats)} files. Put the {what} in one sub-folder per class.")
    results = read_all([file for file, _ in files])
    bad = [BadFile(file.relative_to(path).as_posix(), problem)
           for (file, _), (_, problem) in zip(files, results) if problem]
    if bad and not skip:
        raise DatasetError(f"{_files(len(bad))} in '{path}' cannot be read as {what}: "
                           f"{listing(bad)}. Fix or remove them, or set dataset.options.{SKIP_OPTION} to true to "
                           "train without them.")
    good = [(sample, label) for (_, label), (sample, problem) in zip(files, results) if not problem]
    if not good:
        raise DatasetError(f"None of the {_files(len(files))} in '{path}' can be read as {what}: {listing(bad)}.")
    if bad:  # reaches the terminal (and a training's log) as well as the description and run.json
        log.warning("skipped %s in '%s' (dataset.options.%s): %s", _files(len(bad), "unreadable "), path,
                    SKIP_OPTION, listing(bad))
    return [s for s, _ in good], np.array([label for _, label in good], "int64"), bad


def _attempt(read: Callable[[Path], object], file: Path) -> tuple[object, str | None]:
    try:
        return read(file), None
    except _Unreadable as exc:
        return None, str(exc)


def _check_regular(file: Path) -> None:
    """_Unreadable unless `file` is a regular file (a FIFO or device would block or never end)."""
    try:
        mode = os.stat(file).st_mode
    except OSError as exc:
        raise _Unreadable(f"cannot be opened: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise _Unreadable("not a regular file")


def _file_bytes(file: Path) -> bytes:
    """The bytes of a regular file."""
    _check_regular(file)
    try:
        return file.read_bytes()
    except OSError as exc:
        raise _Unreadable(f"cannot be opened: {exc.strerror or exc}") from None


# --- images ----------------------------------------------------------------------------------------------------

def image_reader(size: tuple[int, int], channels: int) -> Callable[[list[Path]], Results]:
    """Read images as Keras's loader does: decode_image (first frame), bilinear resize to `size`, float32.

    All files go through one parallel tf.data pipeline that drops the ones that fail (as fast as Keras's own
    loader); only those few are decoded again, one by one, to say what is wrong with each."""
    import tensorflow as tf

    def load(data):
        return tf.image.resize(tf.io.decode_image(data, channels=channels, expand_animations=False), size)

    def read_one(file: Path) -> np.ndarray:
        data = _file_bytes(file)
        try:
            return load(data).numpy()
        except tf.errors.OpError as exc:
            raise _Unreadable(image_problem(data, _op_reason(exc))) from None

    def read_all(files: list[Path]) -> Results:
        results: Results = [(None, None)] * len(files)
        regular = []
        for k, file in enumerate(files):
            checked = _attempt(_check_regular, file)
            if checked[1]:
                results[k] = checked
            else:
                regular.append(k)
        if regular:
            ds = tf.data.Dataset.from_tensor_slices(([str(files[k]) for k in regular], regular))
            ds = ds.map(lambda p, k: (load(tf.io.read_file(p)), k), num_parallel_calls=tf.data.AUTOTUNE)
            for images, rows in ds.ignore_errors().batch(256).as_numpy_iterator():
                for image, k in zip(images, rows):
                    results[k] = (image, None)
        return [result if result[0] is not None or result[1] else _attempt(read_one, file)
                for file, result in zip(files, results)]

    return read_all


def image_problem(data: bytes, reason: str) -> str:
    """What is wrong with bytes the decoder refused (with its `reason`), in words."""
    kind = next((k for magic, k in _MAGIC if data.startswith(magic)), None)
    if kind:
        return f"corrupt or truncated {kind} data: {reason}"
    if not data:
        return "empty file, 0 bytes"
    head = data[:200]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\r\n\t" for c in text):
        return f"holds text, not an image: {text.strip()[:30]!r}"
    return f"not a PNG, JPEG, GIF or BMP image: it starts with bytes {head[:8].hex(' ')}"


def _op_reason(exc) -> str:
    """TensorFlow's message without its '{{function_node ...}}' prefix and '[Op:...]' suffix."""
    text = getattr(exc, "message", "") or str(exc)
    text = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if text.startswith("{{") and "}}" in text:
        text = text.split("}}", 1)[1]
    return text.split(" [Op:", 1)[0].strip()


# --- text ------------------------------------------------------------------------------------------------------

def read_texts(files: list[Path]) -> Results:
    """Text files as strings: UTF-8 (a leading byte-order mark dropped); binary data is refused."""
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda file: _attempt(read_text, file), files))


def read_text(file: Path) -> str:
    """One text file as a string: UTF-8 (a leading byte-order mark dropped); binary data is refused."""
    return decode_text(_file_bytes(file), _Unreadable)


def decode_text(data: bytes, error: Callable[[str], Exception]) -> str:
    """UTF-8 text of `data`, or `error(problem)` raised: binary data, UTF-16 text or bytes that are not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error("it is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8")
    kind = next((k for magic, k in _BINARY_MAGIC if data.startswith(magic)), None)
    nul = data.find(b"\x00")
    if kind and (nul >= 0 or not _is_utf8(data)):
        raise error(f"it is a {kind} file, not text")
    if nul >= 0:
        raise error(f"it holds NUL bytes (the first at offset {nul}): binary data or UTF-16 text, not UTF-8 text")
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = data[:offset].count(b"\n") + 1
        raise error(f"byte 0x{data[offset]:02x} at offset {offset} (line {line}) is not UTF-8 text") from None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
