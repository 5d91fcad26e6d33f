"""Ctrl-C (SIGINT) and SIGTERM: training saves a checkpoint and says where; nothing is left half-written; 130 / 143."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_helpers import FIXTURES

from proxies.signals import StopRequest, Terminated, exit_code, terminate_raises

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from proxies.cli import app; app(prog_name='proxy-sandbox')"]


def _fresh_signals() -> None:
    """In the child before it runs: default SIGINT and SIGTERM, none blocked, whatever the test process
    had (a background job's ignored SIGINT, a mask left by a thread), as in a user's shell."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


class Command:
    """The command line in a child process whose stderr lines are collected as they come."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [*CLI, *args], cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            preexec_fn=_fresh_signals,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    # generous limits: on a loaded 2-core machine a training update can hold off the stop for seconds
    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never printed {text!r}:\n{self.output}")
            time.sleep(0.02)

    def stop(self, signum: int, timeout: float = 120) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._reader.join(timeout=5)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @property
    def output(self) -> str:
        return "".join(self.lines)


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def _stop_line(command: Command) -> str:
    stopped = [line for line in command.lines if line.startswith("stopped:")]
    assert len(stopped) == 1, command.output
    assert command.lines[-1].startswith("stopped:"), command.output  # the message is the last thing said
    return " ".join(stopped[0].split())


# -- in-process: the handlers ----------------------------------------------------------------------------------


def test_a_stop_request_records_the_first_signal_and_raises_on_the_second():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 5
        while not stop.requested and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stop.signum == signal.SIGTERM and stop.name == "SIGTERM"
        with pytest.raises(Terminated):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_sigterm_raises_terminated_inside_terminate_raises():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as info, terminate_raises():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    assert exit_code(info.value) == 143 and exit_code(KeyboardInterrupt()) == 130
    assert signal.getsignal(signal.SIGTERM) is before


# -- the command line ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_train_saves_a_checkpoint_and_says_where(tmp_path, signum, code):
    command = Command("train", "cleaning-robot", "--steps", "1000000", "--out", "run", cwd=tmp_path)
    try:
        command.wait_for("training cleaning-robot on cleanliness: started")
        time.sleep(0.3)
        assert command.stop(signum) == code, command.output
    finally:
        command.kill()
    line = _stop_line(command)
    name = signal.Signals(signum).name
    assert f"stopped: training stopped by {name} after" in line and "no model.zip was written" in line
    assert "Traceback" not in command.output
    checkpoints = list((tmp_path / "run" / "checkpoints").glob("model_*_steps.zip"))
    assert len(checkpoints) == 1 and str(checkpoints[0].relative_to(tmp_path)) in line
    with zipfile.ZipFile(checkpoints[0]) as archive:
        assert archive.testzip() is None and "data" in archive.namelist()
    assert not (tmp_path / "run" / "model.zip").exists()
    assert _leftovers(tmp_path) == []


def test_sigterm_during_suite_stops_with_one_line_and_writes_nothing(tmp_path):
    command = Command("suite", "cleaning-robot", "--out", "out", cwd=tmp_path)
    try:
        command.wait_for("gating")  # the suite's gate, after training (the references' competence came before it)
        assert command.stop(signal.SIGTERM) == 143, command.output
    finally:
        command.kill()
    line = _stop_line(command)
    assert "SIGTERM" in line and "none was left half-written" in line
    assert "Traceback" not in command.output
    assert list((tmp_path / "out").iterdir()) == []  # created (checked writable), never half-filled


def test_ctrl_c_during_run_after_training_keeps_the_model_whole(tmp_path):
    shutil.copy(FIXTURES / "edge_goal.py", tmp_path / "goal.py")
    command = Command("run", "goal.py", "--steps", "256", "--out", "run", cwd=tmp_path)
    try:
        command.wait_for("gating")  # the suite's gate, after training (the references' competence came before it)
        assert command.stop(signal.SIGINT) == 130, command.output
    finally:
        command.kill()
    _stop_line(command)
    assert "Traceback" not in command.output
    with zipfile.ZipFile(tmp_path / "run" / "model.zip") as archive:
        assert archive.testzip() is None
    for path in (tmp_path / "run").glob("*.json"):
        json.loads(path.read_text())  # every file there is whole
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("signum", "code", "when"),
    [(signal.SIGTERM, 143, "validate-*"), (signal.SIGINT, 130, "validate-*"), (signal.SIGINT, 130, "validate-*/trained-*/logs")],
)
def test_validate_without_out_removes_its_temporary_folder_when_stopped(tmp_path, signum, code, when):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    shutil.copy(FIXTURES / "edge_goal.py", tmp_path / "goal.py")
    command = Command(
        "validate", "goal.py", "--budget", "1000000", "--episodes", "2", cwd=tmp_path, env={"TMPDIR": str(tmp)}
    )
    try:
        deadline = time.monotonic() + 120
        while not list(tmp.glob(when)):  # the workspace exists (or an agent is training in it)
            assert command.process.poll() is None and time.monotonic() < deadline, command.output
            time.sleep(0.02)
        assert command.stop(signum) == code, command.output
    finally:
        command.kill()
    line = _stop_line(command)
    if "trained" in when:
        assert "validation stopped by SIGINT; its temporary folder" in line and "was removed" in line
    assert "Traceback" not in command.output
    assert list(tmp.iterdir()) == []  # no validate-* left behind (and no empty torchinductor_* either)


def _world():
    from sandbox import Body, Driver, SceneSpec, Wall, World

    return World(SceneSpec(width=4.0, height=2.0, entities=(*Wall.around(4.0, 2.0), Body(x=2.0, y=1.0), Driver(x=1.0, y=1.0))))


def _send(signum: int) -> None:
    os.kill(os.getpid(), signum)
    for _ in range(1000):  # Python code still running when the handler fires
        pass


def _signal_during_a_collision_callback(signum: int) -> None:
    """Drive a robot into a ball; the first contact's callback (run by chipmunk, under cffi) sends ``signum``."""
    from sandbox.world import AGENT, THING

    world = _world()
    world.space.on_collision(AGENT, THING, begin=lambda arbiter, space, data: _send(signum))
    for _ in range(40):
        world.step((1.0, 0.0))


def _signal_during_a_destructor(signum: int) -> None:
    """Free a cffi object whose destructor sends ``signum`` (pymunk frees its spaces, bodies and shapes so)."""
    from pymunk._chipmunk_cffi import ffi

    ffi.gc(ffi.new("int *"), lambda _: _send(signum))  # dropped at once: cffi runs the destructor now


def _signal_during_a_del(signum: int) -> None:
    class Sends:
        def __del__(self) -> None:
            _send(signum)

    Sends()


@contextlib.contextmanager
def _command_handlers() -> Iterator[None]:
    """The handlers a command starts with (a test worker may ignore SIGINT)."""
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    previous = {s: signal.signal(s, h) for s, h in defaults.items()}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@pytest.mark.parametrize("where", [_signal_during_a_collision_callback, _signal_during_a_destructor, _signal_during_a_del])
@pytest.mark.parametrize(("signum", "raised"), [(signal.SIGTERM, Terminated), (signal.SIGINT, KeyboardInterrupt)])
def test_a_signal_where_python_drops_exceptions_still_stops_the_work(signum, raised, where, capfd):
    # under a C callback or a destructor, CPython prints "Exception ignored" and drops an exception: the stop comes after
    with _command_handlers(), pytest.raises(raised), terminate_raises():
        where(signum)
    err = capfd.readouterr().err
    assert "Exception ignored" not in err and "cffi callback" not in err, err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_garbage_collection_that_frees_worlds_still_stops_the_work(signum, capfd):
    # how validate lost its stops: a signal that comes while the collector works (in C, on a big heap) is handled in
    # the first Python code it runs, the destructor of a pymunk object in a reference cycle, which drops the exception
    read, write = os.pipe()
    command = f"read _; sleep 0.02; kill -s {signal.Signals(signum).name[3:]} {os.getpid()}"
    killer = subprocess.Popen(["sh", "-c", command], stdin=read)
    os.close(read)
    ballast = [[] for _ in range(1_000_000)]  # a pass over a million objects takes tens of milliseconds
    worlds = [_world() for _ in range(20)]
    for world in worlds:
        world.itself = world  # a cycle: once dropped, only the collector frees it

    def started(phase: str, info: dict) -> None:
        gc.callbacks.remove(started)
        os.write(write, b"\n")  # the killer sends the signal while the collector works

    try:
        with _command_handlers(), pytest.raises(KeyboardInterrupt), terminate_raises():
            del worlds, world
            gc.callbacks.append(started)
            gc.collect()
            killer.wait(timeout=60)  # the stop comes here if the killer was slow,
            time.sleep(1)  # or here, a moment after the collector dropped it
    finally:
        os.close(write)
        killer.wait(timeout=60)
        del ballast
    assert "Exception ignored" not in capfd.readouterr().err


def test_other_dropped_exceptions_still_reach_the_previous_hook(monkeypatch):
    dropped = []
    monkeypatch.setattr(sys, "unraisablehook", dropped.append)

    class Faulty:
        def __del__(self) -> None:
            raise ValueError("not a stop")

    with terminate_raises():
        Faulty()
    assert [type(u.exc_value) for u in dropped] == [ValueError]
    assert sys.unraisablehook == dropped.append
