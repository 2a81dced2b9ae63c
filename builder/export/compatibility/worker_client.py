"""The checker's side of the conversion worker: start the process, send it batches of jobs, read its answers.

Conversions run in a worker process (`python -m builder.export.compatibility.worker`): the TFLite converter
can crash the whole process (a segmentation fault: e.g. the int8 calibration of an LSTM's WHILE loop in
TF 2.21), and the editor must survive that. A crash is reported for the block it hit, and a new worker
takes the rest of the batch.

The protocol: one batch of jobs is one JSON list on a line of the worker's stdin; the worker answers on its
stdout, one JSON object a line — {"start": key} when it begins a job, {"float": status, "message": ...} when
an int8 job's float conversion is done, {"key": key, "answer": {...}} when the job is answered, and
{"done": true} at the end of the batch. A kept worker then waits for the next batch; otherwise its stdin is
closed and it ends.
"""
from __future__ import annotations

import json
import os
import selectors
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from builder.quiet_tensorflow import child_environment, without_chatter

BLOCK_TIMEOUT_S = 120.0  # one block's conversions (float, then int8) must finish within this
WORKER_MODULE = "builder.export.compatibility.worker"
_ROOT = Path(__file__).resolve().parents[3]  # the folder holding the `builder` package


@dataclass
class ConversionJob:
    """One block to convert, as the worker receives it."""

    key: str
    node: dict[str, Any]  # Node.to_dict()
    inputs: list[tuple[list, str]]  # (shape without batch, dtype) per incoming wire
    ports: list[int]
    target: str
    folder: str | None = None  # the project's folder: where a file parameter (a vocabulary) is read


class ConversionWorker:
    """The worker process, seen from the checker: `convert()` sends jobs and returns key -> answer.

    `keep=True` keeps the process (with TensorFlow imported) alive between batches; `cancel()` (from any
    thread) kills it and makes every later `convert()` return at once; `close()` ends a kept one.
    `started` counts the processes started, `conversions` the blocks answered."""

    def __init__(self, python: str, keep: bool = False) -> None:
        self.python = python
        self.keep = keep
        self.started = 0
        self.conversions = 0
        self.cancelled = False
        self._proc: subprocess.Popen | None = None  # the worker while one runs (or is kept)
        self._errors = None  # its stderr (a temporary file)

    @property
    def process(self) -> subprocess.Popen | None:
        """The worker process while one runs (or is kept), else None."""
        return self._proc

    def cancel(self) -> None:
        self.cancelled = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    def close(self) -> None:
        """End a kept worker process (no conversion may be running)."""
        proc = self._proc
        if proc is None:
            return
        proc.kill()  # idle between batches: nothing is lost, and nobody waits for TensorFlow to tear down
        proc.wait()
        self._forget()

    def convert(self, jobs: list[ConversionJob]) -> dict[str, dict[str, Any]]:
        """Convert the jobs in worker processes (a new one after a crash); key -> answer. Once cancelled, it
        returns what it has (the caller checks `cancelled`)."""
        done: dict[str, dict[str, Any]] = {}
        pending = list(jobs)
        while pending:
            if self.cancelled:
                break
            answers, crashed = self._run_batch(pending)
            done.update(answers)
            self.conversions += len(answers)
            pending = [j for j in pending if j.key not in done]
            if crashed is not None:
                job, partial, why = crashed
                done[job.key] = _crash_answer(job, partial, why)
                self.conversions += 1
                pending = [j for j in pending if j.key != job.key]
            elif pending:  # the worker ended without answering or crashing on a job: give up on the rest
                for job in pending:
                    done[job.key] = {"status": "unsupported", "quantized": False if job.target == "tflite-int8" else None,
                                     "message": "the conversion worker stopped before checking this block"}
                pending = []
        return done

    def _start(self) -> subprocess.Popen:
        env = child_environment({"PYTHONPATH": os.pathsep.join(
            p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p)})
        self._errors = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([self.python, "-m", WORKER_MODULE], cwd=str(_ROOT), env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors)
        self.started += 1
        return self._proc

    def _forget(self) -> None:
        """Drop an ended worker: close its pipes and its stderr file."""
        if self._proc is not None:
            for pipe in (self._proc.stdin, self._proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
        if self._errors is not None:
            self._errors.close()
        self._proc, self._errors = None, None

    def _run_batch(self, jobs: list[ConversionJob]):
        """Send one batch of jobs (a JSON line) to the worker, read its answers until it says "done".

        Returns (answers, crashed): crashed is (job, partial answer, why) when the worker died on a job."""
        proc = self._proc if self._proc is not None and self._proc.poll() is None else None
        if proc is None:
            if self._proc is not None:
                self._forget()
            proc = self._start()
        if self.cancelled:  # cancel() came between the check in convert() and the start
            proc.kill()
        errors_from = os.fstat(self._errors.fileno()).st_size  # a kept worker's stderr holds earlier batches too
        try:
            proc.stdin.write(json.dumps([asdict(j) for j in jobs]).encode() + b"\n")
            proc.stdin.flush()
            if not self.keep:
                proc.stdin.close()
        except (BrokenPipeError, ValueError):  # killed by cancel(), or died
            pass
        by_key = {j.key: j for j in jobs}
        answers: dict[str, dict[str, Any]] = {}
        current, partial = None, None
        finished = False  # the worker said "done" for this batch
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        started = heard = time.monotonic()
        buffer = b""
        try:
            while not finished:
                if not selector.select(timeout=1.0):
                    now = time.monotonic()
                    if current is not None and now - started > BLOCK_TIMEOUT_S:
                        proc.kill()
                        proc.wait()
                        self._forget()
                        return answers, (by_key[current], partial, f"took over {BLOCK_TIMEOUT_S:.0f} s")
                    if current is None and now - heard > BLOCK_TIMEOUT_S:  # silent between jobs: a lost line
                        proc.kill()
                        proc.wait()
                        self._forget()
                        return answers, None  # convert() reports the unanswered jobs
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                heard = time.monotonic()
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        continue
                    if "start" in msg:
                        current, partial, started = msg["start"], None, time.monotonic()
                    elif "float" in msg:
                        partial = msg
                    elif "answer" in msg:
                        answers[msg["key"]] = msg["answer"]
                        current = None
                    elif "done" in msg:
                        finished = True
        finally:
            selector.close()
        if finished and self.keep:
            return answers, None
        code = proc.wait()  # the worker ended: after its batch (not kept), or on a crash
        tail = []
        if self._errors is not None:
            self._errors.seek(errors_from)
            tail = [l for l in without_chatter(self._errors.read().decode(errors="replace")).splitlines() if l.strip()]
        self._forget()
        if current is not None and current not in answers:
            why = f"exit code {code}" if code >= 0 else f"signal {-code}"
            if code < 0 and -code == 11:
                why = "segmentation fault"
            return answers, (by_key[current], partial, why + (f"; {tail[-1][:200]}" if tail and code > 0 else ""))
        return answers, None


def _crash_answer(job: ConversionJob, partial: dict[str, Any] | None, why: str) -> dict[str, Any]:
    if partial is not None and partial["float"] in ("builtin", "select_tf_ops"):
        # the float conversion worked; the int8 one crashed the converter
        return {"status": partial["float"], "quantized": False,
                "message": (partial.get("message") + "; " if partial.get("message") else "")
                + f"int8: the converter crashed during full-integer quantisation ({why})"}
    return {"status": "unsupported", "quantized": False if job.target == "tflite-int8" else None,
            "message": f"the TFLite converter crashed on this block ({why})"}
