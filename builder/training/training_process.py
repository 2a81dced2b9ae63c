"""Training in a child process: the Trainer runs there, its progress comes back as messages over a pipe.

The parent (the window, or any other caller) never runs a training step, so a run can neither stall it (the GIL
stays in the child) nor take it down (an out-of-memory kill or a crash ends only the child). One child serves run
after run, so Keras is imported once; it is spawned (never forked: the parent may hold Qt and threads).

Parent → child, on the command pipe: ("train", job) · ("pause",) · ("resume",) · ("stop",) · ("learning_rate", v)
· ("patience", n) · ("quit",).
Child → parent, on the event pipe: ("ready", device) once Keras is loaded · ("run_dir", path) · ("began", epochs,
steps) · ("batches", [(epoch, batch, logs), ...]) every batch, sent at most 20 times a second · ("epoch", epoch,
logs) · ("samples", epoch, path) when a generative recipe's grid after `epoch` epochs is written
· ("setting", change) when a live change was applied or refused · ("refused", message) for a live change the
Trainer refused outright · ("finished", result_dict) · ("failed", message).

`TrainingProcess` is the parent's side: plain Python, polled by whoever owns it (the GUI polls it from a timer).
"""
from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from builder.training.checkpoints import BEST, LAST, read_checkpoint_epoch
from builder.training.progress import TrainingCallbacks, TrainingResult

BATCH_INTERVAL_S = 0.05  # the child sends the batches it has at most 20 times a second
STOP_GRACE_S = 8.0  # a run that has not stopped this long after the request is ended (its last checkpoint stays)
QUIT_GRACE_S = 3.0


def job(project: Any, run_dir: str | Path | None = None, epochs: int | None = None, resume: bool = False) -> dict:
    """What the child needs to train `project` (a Project): picklable plain data."""
    from builder.project import project_to_dict

    return {"project": project_to_dict(project), "path": str(project.path) if project.path else None,
            "name": project.name, "run_dir": str(run_dir) if run_dir else None, "epochs": epochs,
            "resume": bool(resume)}


def result_to_dict(result: TrainingResult) -> dict:
    data = asdict(result)
    data["run_dir"], data["model_path"] = str(result.run_dir), str(result.model_path)
    return data


def result_from_dict(data: dict) -> TrainingResult:
    return TrainingResult(**{**data, "run_dir": Path(data["run_dir"]), "model_path": Path(data["model_path"])})


def result_from_disk(run_dir: Path, stopped: bool = True) -> TrainingResult | None:
    """A run whose process was ended: its last committed checkpoint (or best) as the result, None if it has none."""
    for name in (LAST, BEST):
        path = Path(run_dir) / name
        if path.is_file():
            return TrainingResult(run_dir=Path(run_dir), model_path=path, epochs_run=read_checkpoint_epoch(run_dir),
                                  stopped=stopped)
    return None


class TrainingProcess:
    """The parent's handle on one training child. Not thread-safe: use it from one thread (the GUI's)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        commands_out, commands_in = context.Pipe(duplex=False)  # (reader, writer)
        events_out, events_in = context.Pipe(duplex=False)
        self._commands = commands_in
        self._events = events_out
        self.process = context.Process(target=child_main, args=(commands_out, events_in), name="layerboard-training",
                                       daemon=True)
        self.process.start()
        commands_out.close()  # the child's ends: the parent keeps only its own, so EOF means the child is gone
        events_in.close()
        self.closed = False

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    @property
    def exitcode(self) -> int | None:
        return self.process.exitcode

    def send(self, *message: Any) -> bool:
        """Send a command; False when the child is gone (its pipe is closed)."""
        try:
            self._commands.send(message)
            return True
        except (OSError, EOFError, ValueError):
            return False

    def messages(self, limit: int = 1000) -> list[tuple]:
        """Every event waiting now (never blocks); ("gone", exitcode) once the child has ended and all is read."""
        out: list[tuple] = []
        try:
            while len(out) < limit and self._events.poll():
                out.append(self._events.recv())
        except (EOFError, OSError):
            self.process.join(timeout=1.0)
            out.append(("gone", self.process.exitcode))
            self.closed = True
        return out

    def end(self, grace_s: float = QUIT_GRACE_S) -> None:
        """Ask the child to quit; terminate it, then kill it, if it does not within `grace_s`."""
        if self.process.is_alive():
            self.send("quit")
            self.process.join(grace_s)
        self.kill()

    def kill(self) -> None:
        """End the child now (SIGTERM, then SIGKILL); whatever it wrote to disk stays."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2.0)
        for connection in (self._commands, self._events):
            connection.close()
        self.closed = True


# ---- the child -----------------------------------------------------------------------------------------------------

class _Relay(TrainingCallbacks):
    """The Trainer's callbacks as messages; batches are gathered and sent at most every BATCH_INTERVAL_S."""

    def __init__(self, send) -> None:
        self._send = send
        self._batches: list[tuple[int, int, dict]] = []
        self._last = 0.0
        self.trainer = None

    def flush(self) -> None:
        if self._batches:
            batches, self._batches = self._batches, []
            self._send(("batches", batches))
        self._last = time.monotonic()

    def on_train_begin(self, epochs: int, steps_per_epoch: int) -> None:
        self._send(("began", int(epochs), int(steps_per_epoch or 0)))

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        self._batches.append((int(epoch), int(batch), dict(logs)))
        pausing = self.trainer is not None and self.trainer.paused  # show the batch a pause holds at
        if pausing or time.monotonic() - self._last >= BATCH_INTERVAL_S:
            self.flush()

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.flush()
        self._send(("epoch", int(epoch), dict(logs)))

    def on_samples(self, epoch: int, path: str) -> None:
        self._send(("samples", int(epoch), str(path)))

    def on_setting_changed(self, change: dict) -> None:
        self.flush()
        self._send(("setting", dict(change)))


def child_main(commands, events) -> None:
    """The child's loop: load Keras, then train each job it is sent until it is told to quit."""
    lock = threading.Lock()

    def send(message: tuple) -> None:
        with lock:
            try:
                events.send(message)
            except (OSError, EOFError, ValueError):  # the parent is gone: nothing to report to
                pass

    _yield_to_the_window()
    from builder.training import device_summary

    try:
        device = device_summary()
    except Exception:  # noqa: BLE001 - what the device is must never stop training
        device = "unknown"
    send(("ready", device))
    while True:
        try:
            message = commands.recv()
        except (EOFError, OSError):
            return  # the parent closed its end or died
        if message[0] == "quit":
            return
        if message[0] == "train":
            if not _train(message[1], commands, send):
                return


def _yield_to_the_window() -> None:
    """Run at a lower CPU priority than the process that started us: training takes every core it is given, and
    on a small machine the window would otherwise wait for a core to answer a click. Training still gets all the
    time the window does not use. LAYERBOARD_TRAINING_NICE sets the step (0: same priority)."""
    import os

    try:
        step = int(os.environ.get("LAYERBOARD_TRAINING_NICE", "10"))
    except ValueError:
        step = 10
    if step > 0 and hasattr(os, "nice"):
        try:
            os.nice(step)
        except OSError:  # not allowed here: train at the same priority
            pass


def _train(job_data: dict, commands, send) -> bool:
    """Run one job, listening for commands meanwhile; False when the child should end (quit, or parent gone)."""
    from builder.errors import LayerboardError
    from builder.faults import fault_message
    from builder.project import project_from_dict
    from builder.training.trainer import Trainer

    relay = _Relay(send)
    keep_going = threading.Event()
    keep_going.set()
    try:
        project = project_from_dict(job_data["project"], job_data["path"] or "<project>")
        project.path = Path(job_data["path"]) if job_data["path"] else None
        project.name = job_data["name"]
        trainer = Trainer(project, run_dir=job_data["run_dir"], callbacks=relay, epochs=job_data["epochs"],
                          resume=job_data["resume"])
    except LayerboardError as exc:
        send(("failed", str(exc)))
        return True
    except Exception as exc:  # noqa: BLE001 - reported, never raised into the parent
        send(("failed", f"Training failed: {fault_message(exc)}"))
        return True
    relay.trainer = trainer
    send(("run_dir", str(trainer.run_dir)))
    done = threading.Event()
    listener = threading.Thread(target=_listen, args=(commands, trainer, send, done, keep_going),
                                name="training-commands", daemon=True)
    listener.start()
    try:
        result = trainer.run()
    except LayerboardError as exc:  # the Trainer reworded every failure already (TrainingError)
        outcome = ("failed", str(exc))
    except Exception as exc:  # noqa: BLE001
        outcome = ("failed", f"Training failed: {fault_message(exc)}")
    else:
        outcome = ("finished", result_to_dict(result))
    done.set()
    listener.join()  # before the outcome: the parent's next job must reach the main loop, not this listener
    relay.flush()
    send(outcome)
    _release_memory()
    return keep_going.is_set()


def _listen(commands, trainer, send, done: threading.Event, keep_going: threading.Event) -> None:
    """The commands that arrive while a run goes on (this thread ends with the run)."""
    from builder.errors import LayerboardError

    while not done.is_set():
        try:
            if not commands.poll(0.05):
                continue
            message = commands.recv()
        except (EOFError, OSError):  # the parent is gone: stop the run and end
            keep_going.clear()
            trainer.stop()
            return
        name = message[0]
        try:
            if name == "pause":
                trainer.pause()
            elif name == "resume":
                trainer.resume()
            elif name == "stop":
                trainer.stop()
            elif name == "quit":
                keep_going.clear()
                trainer.stop()
            elif name == "learning_rate":
                trainer.set_learning_rate(message[1])
            elif name == "patience":
                trainer.set_patience(message[1])
        except LayerboardError as exc:
            send(("refused", str(exc)))


def _release_memory() -> None:
    """Free the finished run's model and graph before the next job."""
    try:
        import gc

        import keras

        keras.backend.clear_session()
        gc.collect()
    except Exception:  # noqa: BLE001 - tidying up must never end the child
        pass
