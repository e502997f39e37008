"""Drive the system Chromium headless over the DevTools protocol on a pipe (no websocket
library, no Playwright browser download): load a page, collect console messages, JavaScript
exceptions, log entries (failed resource loads) and every network request, and take a
full-page screenshot; or print a page to PDF as the browser's "Print → Save as PDF" does.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_path() -> str | None:
    """``NHCS_CHROMIUM`` when set (a path that does not exist means no Chromium), else the
    usual system locations."""
    env = os.environ.get("NHCS_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for p in (*CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if p and Path(p).exists():
            return p
    return None


# Tests that drive Chromium: skipped without it, failed without it under CI=true
# (tests/tools.py; the fixture is in tests/reports/conftest.py).
needs_chromium = pytest.mark.usefixtures("require_chromium")
CHROMIUM_INSTALL = "apt-get install -y chromium (.ci/run installs it)"


@dataclass
class PageLoad:
    console: list[dict] = field(default_factory=list)  # Runtime.consoleAPICalled params
    exceptions: list[dict] = field(default_factory=list)  # Runtime.exceptionThrown params
    log: list[dict] = field(default_factory=list)  # Log.entryAdded entries
    requests: list[str] = field(default_factory=list)  # every URL the page requested
    title: str = ""
    body_text: str = ""

    @property
    def errors(self) -> list[str]:
        out = [
            f"console.{c['type']}: {[a.get('value') for a in c.get('args', [])]}"
            for c in self.console
            if c["type"] in ("error", "assert", "warning")
        ]
        out += [f"exception: {e['exceptionDetails'].get('text')}" for e in self.exceptions]
        out += [
            f"log {e['level']}: {e.get('text')} {e.get('url', '')}"
            for e in self.log
            if e["level"] in ("error", "warning")
        ]
        return out


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int):
        self.w, self.r, self.buf, self.next_id, self.events = write_fd, read_fd, b"", 0, []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def wait(self, pred, timeout: float = 30.0) -> dict:
        end = time.monotonic() + timeout
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "method" in msg:
                    self.events.append(msg)
                if pred(msg):
                    if "error" in msg:
                        raise RuntimeError(f"DevTools error: {msg['error']}")
                    return msg
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.r], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self.buf += chunk

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        i = self.send(method, params, session)
        return self.wait(lambda m: m.get("id") == i).get("result", {})


@contextmanager
def _chromium(width: int) -> Iterator[tuple[_Pipe, str]]:
    """A headless Chromium with one blank tab: the DevTools pipe and the tab's session id."""
    exe = chromium_path()
    if exe is None:
        raise FileNotFoundError("no Chromium binary")
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    profile = tempfile.mkdtemp(prefix="nhcs-chromium-")

    def wire_fds():  # Chromium's --remote-debugging-pipe reads fd 3 and writes fd 4
        os.dup2(to_chrome_r, 3)
        os.dup2(from_chrome_w, 4)

    proc = subprocess.Popen(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            f"--window-size={width},1000",
            "about:blank",
        ],
        pass_fds=(3, 4),
        preexec_fn=wire_fds,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    pipe = _Pipe(to_chrome_w, from_chrome_r)
    try:
        target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        yield pipe, sid
        try:
            pipe.send("Browser.close")
        except OSError:
            pass
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(to_chrome_w)
        os.close(from_chrome_r)
        shutil.rmtree(profile, ignore_errors=True)


def load_page(
    url: str,
    screenshot: Path | None = None,
    width: int = 1280,
    *,
    slices: int = 0,
) -> PageLoad:
    """Open ``url`` in headless Chromium, wait for the load event, and report what happened.
    With ``screenshot``, save a full-page PNG there; with ``slices`` > 0 also save the page cut
    in that many horizontal parts (``<stem>-1.png`` ...), legible one by one."""
    result = PageLoad()
    with _chromium(width) as (pipe, sid):
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            pipe.call(method, session=sid)
        pipe.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
            session=sid,
        )
        pipe.events.clear()
        pipe.call("Page.navigate", {"url": url}, session=sid)
        pipe.wait(lambda m: m.get("method") == "Page.loadEventFired")
        evaluated = pipe.call(
            "Runtime.evaluate",
            {"expression": "JSON.stringify([document.title, document.body.innerText])"},
            session=sid,
        )
        result.title, result.body_text = json.loads(evaluated["result"]["value"])
        if screenshot is not None:
            shot = pipe.call(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True},
                session=sid,
            )
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            height = pipe.call(
                "Runtime.evaluate",
                {"expression": "document.documentElement.scrollHeight"},
                session=sid,
            )["result"]["value"]
            for i in range(slices):
                part = -(-height // slices)
                clip = {"x": 0, "y": i * part, "width": width, "height": part, "scale": 1}
                shot = pipe.call(
                    "Page.captureScreenshot",
                    {"format": "png", "captureBeyondViewport": True, "clip": clip},
                    session=sid,
                )
                path = screenshot.with_name(f"{screenshot.stem}-{i + 1}{screenshot.suffix}")
                path.write_bytes(base64.b64decode(shot["data"]))
        for e in pipe.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.consoleAPICalled":
                result.console.append(p)
            elif m == "Runtime.exceptionThrown":
                result.exceptions.append(p)
            elif m == "Log.entryAdded":
                result.log.append(p["entry"])
            elif m == "Network.requestWillBeSent":
                result.requests.append(p["request"]["url"])
    return result


def print_to_pdf(url: str, pdf: Path) -> Path:
    """Print ``url`` to ``pdf`` as a reader's "Print → Save as PDF" would: the page's own
    ``@page`` size and margins (preferCSSPageSize), backgrounds printed, no browser header or
    footer."""
    with _chromium(1280) as (pipe, sid):
        pipe.call("Page.enable", session=sid)
        pipe.call("Page.navigate", {"url": url}, session=sid)
        pipe.wait(lambda m: m.get("method") == "Page.loadEventFired")
        printed = pipe.call(
            "Page.printToPDF",
            {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False},
            session=sid,
        )
        pdf.write_bytes(base64.b64decode(printed["data"]))
    return pdf
