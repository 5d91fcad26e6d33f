"""Files are never half-written: one atomic writer, typed errors for full or read-only disks, --out checked first."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import proxies.files as files
from proxies.errors import OutputError
from proxies.files import check_writable, save_model, write_atomic, write_json_atomic

ROOT = Path(__file__).resolve().parents[2]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _disk_full(monkeypatch: pytest.MonkeyPatch, after: int = 0) -> None:
    """Every ``os.write`` of the atomic writer fails with ENOSPC (after ``after`` good chunks)."""
    calls = {"n": 0}

    def write(fd: int, chunk: memoryview) -> int:
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, chunk)

    monkeypatch.setattr(files, "_write_chunk", write)


def test_write_atomic_writes_text_and_bytes_and_leaves_no_temporary_file(tmp_path):
    assert write_atomic(tmp_path / "a.txt", "héllo").read_text(encoding="utf-8") == "héllo"
    assert write_atomic(tmp_path / "deep" / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert json.loads(write_json_atomic(tmp_path / "c.json", {"x": [1, 2]}).read_text()) == {"x": [1, 2]}
    assert _leftovers(tmp_path) == [] and _leftovers(tmp_path / "deep") == []
    assert (tmp_path / "a.txt").stat().st_mode & 0o644 == 0o644  # like open(): not mkstemp's 0600


def test_a_large_file_is_written_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CHUNK", 1000)
    data = bytes(range(256)) * 100
    assert write_atomic(tmp_path / "big.bin", data).read_bytes() == data


@pytest.mark.parametrize("after", [0, 3])
def test_disk_full_is_a_typed_error_and_the_previous_file_is_intact(tmp_path, monkeypatch, after):
    target = write_atomic(tmp_path / "suite.json", "previous")
    monkeypatch.setattr(files, "CHUNK", 10)
    _disk_full(monkeypatch, after)
    with pytest.raises(OutputError) as info:
        write_atomic(target, "x" * 200)
    message = str(info.value)
    assert str(target) in message and "no space left" in message and "free some space" in message
    assert info.value.errno == errno.ENOSPC
    assert target.read_text() == "previous"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("code", "fix"),
    [(errno.EACCES, "pick a folder you can write to"), (errno.EROFS, "read-only"), (errno.EPERM, "not permitted")],
)
def test_permission_and_read_only_faults_name_the_path_and_the_fix(tmp_path, monkeypatch, code, fix):
    target = write_atomic(tmp_path / "report.html", "previous")

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match=fix) as info:
        write_atomic(target, "new", option="--out")
    assert str(target) in str(info.value) and "--out" in str(info.value)
    assert target.read_text() == "previous"


def test_a_signal_mid_write_leaves_the_previous_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = write_atomic(tmp_path / "attribution.json", "previous")

    def interrupted(fd, chunk):
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_write_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    assert target.read_text() == "previous"
    assert _leftovers(tmp_path) == []


def test_writing_under_a_file_or_onto_a_folder_is_a_typed_error(tmp_path):
    (tmp_path / "plain").write_text("a file")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        write_atomic(tmp_path / "plain" / "x.json", "{}")
    (tmp_path / "folder").mkdir()
    with pytest.raises(OutputError, match="it is a folder"):
        write_atomic(tmp_path / "folder", "{}")


def test_every_writer_goes_through_the_atomic_writer(tmp_path, monkeypatch):
    """Each kind of file the tool writes fails as one typed error on a full disk, the previous file intact."""
    import proxies
    from proxies.evaluate.suite import Suite
    from proxies.present.drawing import draw_graph, new_figure, save_figure, save_gif, save_png
    from proxies.present.report import draw_weights
    from proxies.run.rundir import write_json

    robot = proxies.get_scenario("cleaning-robot")
    image = np.zeros((8, 8, 3), dtype=np.uint8)
    fig = new_figure(1, 1)
    writers = {
        "a.png": lambda p: save_png(image, p),
        "b.gif": lambda p: save_gif([image, image], p),
        "c.png": lambda p: save_figure(fig, p),
        "graph.png": lambda p: draw_graph(robot.graph, p),
        "weights.png": lambda p: draw_weights({"cleanliness": {"mean": 0.5, "lo": 0.4, "hi": 0.6}}, ["cleanliness"], p),
        "suite.json": lambda p: Suite(scenario="cleaning-robot", scenes=()).save(p, robot),
        "config.json": lambda p: write_json(p, {"scenario": "cleaning-robot"}),
    }
    for name in writers:
        (tmp_path / name).write_bytes(b"previous")
    _disk_full(monkeypatch)
    for name, write in writers.items():
        with pytest.raises(OutputError, match="no space left"):
            write(tmp_path / name)
        assert (tmp_path / name).read_bytes() == b"previous", name
    assert _leftovers(tmp_path) == []


def test_the_report_is_written_atomically(tmp_path, monkeypatch):
    from fake_run import make_run_dir

    from proxies.present.report import write_report

    run = make_run_dir(tmp_path)
    first = write_report(run).read_text()
    weights = (run / "images" / "weights.png").read_bytes()
    _disk_full(monkeypatch)
    with pytest.raises(OutputError, match="no space left"):
        write_report(run)
    assert (run / "report.html").read_text() == first
    assert (run / "images" / "weights.png").read_bytes() == weights
    assert _leftovers(run) == [] and _leftovers(run / "images") == []


def test_check_writable_makes_the_folder_and_leaves_nothing_else(tmp_path):
    folder = check_writable(tmp_path / "a" / "b")
    assert folder.is_dir() and list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("f", "is an existing file, not a folder"),
        ("f/run", "is a file, so no folder can be made under it"),
        ("/sys/proxy-sandbox-test", "kernel file system"),
        ("/proc/self/x", "kernel file system"),
        ("/dev/proxy-sandbox-test", "kernel file system"),
    ],
)
def test_check_writable_refuses_paths_that_cannot_hold_a_run(tmp_path, where, message):
    (tmp_path / "f").write_text("a file")
    path = tmp_path / where
    with pytest.raises(OutputError, match=message) as info:
        check_writable(path, "--out")
    assert "--out" in str(info.value)
    assert not Path("/dev/proxy-sandbox-test").exists()


def test_check_writable_reports_a_read_only_folder(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    with pytest.raises(OutputError, match="read-only") as info:
        check_writable(tmp_path / "out", "--out")
    assert str(tmp_path / "out") in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_writable_reports_a_folder_without_write_permission(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="permission denied|Permission denied"):
            check_writable(locked / "run", "--out")
    finally:
        locked.chmod(0o700)


# -- model.zip --------------------------------------------------------------------------------------------

_SLOW_SAVE = textwrap.dedent(
    """
    import sys, time
    import proxies.files as files
    from proxies.run.training import quiet_torch_cache
    quiet_torch_cache()
    from stable_baselines3 import PPO

    target = sys.argv[1]
    model = PPO("MlpPolicy", "CartPole-v1", n_steps=64, batch_size=64, device="cpu")
    files.save_model(model, target)
    print("first saved", flush=True)
    write = files._write_chunk

    def slow(fd, chunk):
        time.sleep(0.05)
        return write(fd, chunk[:2048])

    files._write_chunk = slow
    print("saving again", flush=True)
    files.save_model(model, target)
    print("second saved", flush=True)
    """
)


def test_kill_9_during_the_model_save_leaves_the_previous_model_intact(tmp_path):
    target = tmp_path / "model.zip"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SAVE, str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env=env,
    )
    try:
        assert child.stdout.readline().strip() == "first saved"
        before = target.read_bytes()
        assert child.stdout.readline().strip() == "saving again"
        deadline = time.monotonic() + 10
        while not _leftovers(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _leftovers(tmp_path), "the slowed save never started writing"
        time.sleep(0.2)  # a few chunks in
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert target.read_bytes() == before  # the previous model, whole
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
    partial = _leftovers(tmp_path)
    assert len(partial) == 1 and partial[0].startswith(".model.zip.")  # hidden temporary, never the target
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["model.zip"]


def test_save_model_writes_a_loadable_zip(tmp_path):
    from stable_baselines3 import PPO

    from proxies.run.training import quiet_torch_cache

    quiet_torch_cache()
    model = PPO("MlpPolicy", "CartPole-v1", n_steps=64, batch_size=64, device="cpu")
    path = save_model(model, tmp_path / "model.zip")
    assert zipfile.ZipFile(path).testzip() is None
    assert PPO.load(path, device="cpu").observation_space == model.observation_space
    assert _leftovers(tmp_path) == []
