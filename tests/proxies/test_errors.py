"""Every typed error survives pickling with its fields: a sweep's worker hands it back to the driver."""

from __future__ import annotations

import inspect
import pickle
import signal

import pytest

from proxies import errors
from proxies.signals import Terminated

ERRORS = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, errors.ProxiesError)]


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_pickles_with_its_message(cls):
    exc = cls("what went wrong; the fix", signal.SIGTERM) if cls is errors.Interrupted else cls("what went wrong; the fix")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is cls and str(back) == str(exc) and vars(back) == vars(exc)


def test_a_stop_pickles_with_its_signal():
    interrupted = pickle.loads(pickle.dumps(errors.Interrupted("stopped", signal.SIGTERM)))
    assert interrupted.signum == signal.SIGTERM and interrupted.exit_code == 143
    terminated = pickle.loads(pickle.dumps(Terminated(signal.SIGTERM)))
    assert terminated.signum == signal.SIGTERM and str(terminated) == "SIGTERM"


def test_an_output_error_keeps_its_path_and_errno():
    back = pickle.loads(pickle.dumps(errors.OutputError("disk full; free space", "/runs/x", 28)))
    assert (back.path, back.errno) == ("/runs/x", 28)
