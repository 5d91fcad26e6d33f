"""Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``): no driver, no
websocket library. :func:`inspect_page` loads a page at a viewport width and reports what a reader would meet:
broken images, console errors and uncaught exceptions, horizontal overflow, and where an element sits.

Debian's ``chromium`` package is enough; ``make test`` installs it when it is missing and it runs as root.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Browser", "PageReport", "chromium"]


def chromium() -> str | None:
    """The Chromium executable, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@dataclass
class PageReport:
    """What loading one page showed."""

    width: int
    images: int
    broken: list[str]
    errors: list[str]
    scroll_width: int
    viewport_width: int
    viewport_height: int
    element_top: float | None
    element_bottom: float | None
    element_text: str
    too_wide: list[str]
    raw_floats: list[str]
    """Numbers printed with six decimals or more (``pan_offset=0.28585864501312536``): the first six."""
    """Elements (tag.class) reaching past the viewport's right edge, outside a scrolling box: the first six."""
    screenshot: bytes = field(repr=False, default=b"")


_PROBE = r"""(() => {
  const imgs = [...document.images];
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
  const el = document.querySelector(SELECTOR);
  const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > WIDTH + 1)
    .filter(e => !e.closest('.table-scroll, .md-typeset__scrollwrap, pre'))
    .slice(0, 6).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : ''));
  return JSON.stringify({images: imgs.length, broken, scroll: document.documentElement.scrollWidth,
    vw: window.innerWidth, vh: window.innerHeight, top: el ? el.getBoundingClientRect().top : null,
    bottom: el ? el.getBoundingClientRect().bottom : null,
    text: el ? el.innerText.slice(0, 400) : '', wide,
    floats: (document.body.innerText.match(/\d\.\d{6,}/g) || []).slice(0, 6)});
})()"""


class Browser:
    """One headless Chromium, talked to over its DevTools pipe."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds() -> None:  # the pipe protocol reads commands on fd 3 and writes replies on fd 4
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child_r, from_child_w)]  # clear of 3 and 4
            for target, fd in zip((3, 4), high):
                os.dup2(fd, target)  # inheritable, unlike the pipe's own descriptors

        self._proc = subprocess.Popen(  # close_fds=False: the child keeps 3 and 4, which the default would close
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            close_fds=False, preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        target = next(t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self._session = self.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events that arrive meanwhile go to :attr:`events`)."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _wait_for(self, method: str, timeout: float) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(e.get("method") == method for e in self.events):
                return
            self.call("Runtime.evaluate", session=True, expression="1")  # drains the events that arrived
            time.sleep(0.05)
        raise TimeoutError(f"no {method} within {timeout} s")

    def inspect(self, url: str, width: int, height: int, selector: str, *, screenshot: bool = False) -> PageReport:
        """Load ``url`` in a ``width`` x ``height`` viewport (a phone's, touch and all, below 600 px) and report on it."""
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 600)
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self._wait_for("Page.loadEventFired", 30)
        # lazy images below the fold load only when scrolled to: load them all, then come back to the top
        self.call("Runtime.evaluate", session=True, awaitPromise=True, expression=(
            "Promise.all([...document.images].map(i => { i.loading = 'eager'; return i.decode().catch(() => null); }))"
            ".then(() => window.scrollTo(0, 0))"))
        expression = _PROBE.replace("SELECTOR", json.dumps(selector)).replace("WIDTH", str(width))
        found = self.call("Runtime.evaluate", session=True, returnByValue=True, expression=expression)
        probe = json.loads(found["result"]["value"])
        errors = [self._describe(e) for e in self.events if self._is_error(e)]
        shot = b""
        if screenshot:
            shot = base64.b64decode(self.call("Page.captureScreenshot", session=True, format="png")["data"])
        return PageReport(width, probe["images"], probe["broken"], errors, probe["scroll"], probe["vw"], probe["vh"],
                          probe["top"], probe["bottom"], probe["text"], probe["wide"], probe["floats"], shot)

    @staticmethod
    def _is_error(event: dict[str, Any]) -> bool:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            return True
        if method == "Runtime.consoleAPICalled":
            return params.get("type") in ("error", "assert")
        if method == "Log.entryAdded":
            return params.get("entry", {}).get("level") == "error"
        return method == "Network.loadingFailed" and not params.get("canceled")

    @staticmethod
    def _describe(event: dict[str, Any]) -> str:
        return f"{event.get('method')}: {json.dumps(event.get('params', {}))[:300]}"

    def close(self) -> None:
        """Quit Chromium."""
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)
