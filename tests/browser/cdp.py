"""Headless Chromium driven over the DevTools protocol, for the browser tests: tabs, keys, the text
of the terminal the page draws, and screenshots. Debian's chromium package is enough; nothing is
downloaded.

The watch page draws its terminal with xterm.js on a canvas, so its text is not in the page's DOM:
a script run before the page's own (``TERMINAL_HOOK``) keeps a reference to the page's terminal
object when the page makes it, and ``screen_text`` reads xterm's buffer, the characters the page
shows, row by row.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from tests.waits import stop

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "no Chromium found: install Debian's chromium (`apt-get install chromium`) or set WARROOM_CHROMIUM "
    "to a Chromium or Chrome executable to run the browser tests"
)

# Flags of a quiet headless Chromium on a machine with no network beyond loopback.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
)

TERMINAL_HOOK = """
(() => {
  // The page keeps its terminal in a local object that sets ``webglAddon`` on itself once: a setter
  // on Object.prototype sees that object, keeps it, then gets out of the way.
  Object.defineProperty(Object.prototype, "webglAddon", {
    configurable: true,
    set(value) {
      const own = {value, writable: true, configurable: true, enumerable: true};
      Object.defineProperty(this, "webglAddon", own);
      if (this.terminal && !window.__warroomTerminal) { window.__warroomTerminal = this.terminal; }
    },
  });
})();
"""

SCREEN_TEXT = """
(() => {
  const t = window.__warroomTerminal;
  if (!t) { return null; }
  const buffer = t.buffer.active;
  const rows = [];
  for (let y = 0; y < t.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()
"""

# Keys as DevTools wants them: key, code, Windows key code, text, modifiers (8 is Shift).
_NAMED = {
    "enter": ("Enter", "Enter", 13, "\r", 0),
    "escape": ("Escape", "Escape", 27, "", 0),
    "tab": ("Tab", "Tab", 9, "\t", 0),
    "colon": (":", "Semicolon", 186, ":", 8),
}


def chromium() -> str | None:
    """The Chromium to drive: WARROOM_CHROMIUM, else the first known name on PATH."""
    given = os.environ.get("WARROOM_CHROMIUM")
    if given:
        return given if Path(given).exists() or shutil.which(given) else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def _key(key: str) -> tuple[str, str, int, str, int]:
    if key in _NAMED:
        return _NAMED[key]
    if len(key) != 1:
        raise ValueError(f"no key {key!r}")
    if key.isdigit():
        return key, f"Digit{key}", ord(key), key, 0
    if key.isalpha():
        return key, f"Key{key.upper()}", ord(key.upper()), key, 8 if key.isupper() else 0
    return key, "", ord(key), key, 0


CALL_S = 20.0
"""How long one DevTools call may take."""


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


class Tab:
    """One page, on its own DevTools connection."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse, target_id: str) -> None:
        self.socket = socket
        self.target_id = target_id
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            future = self._waiting.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools call; its answer within ``CALL_S`` seconds, else TimeoutError."""
        number = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        await self.socket.send_str(json.dumps({"id": number, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, CALL_S)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def open(self, url: str) -> None:
        await self.send("Page.enable")
        await self.send("Page.addScriptToEvaluateOnNewDocument", source=TERMINAL_HOOK)
        await self.send("Page.navigate", url=url)

    async def body_text(self) -> str:
        return str(await self.evaluate("document.body ? document.body.innerText : ''") or "")

    async def screen_text(self) -> str:
        """The terminal's rows as the page holds them ("" before the terminal exists)."""
        return str(await self.evaluate(SCREEN_TEXT) or "")

    async def wait_for_text(self, pattern: str, within: float) -> str:
        """The screen once ``pattern`` (a regular expression) is on it; TimeoutError with the last
        screen otherwise."""
        deadline = asyncio.get_running_loop().time() + within
        text = ""
        while asyncio.get_running_loop().time() < deadline:
            text = await self.screen_text()
            if re.search(pattern, text):
                return text
            await asyncio.sleep(0.25)
        raise TimeoutError(f"{pattern!r} not on the screen after {within:.0f} s; the screen:\n{text}")

    async def press(self, *keys: str) -> None:
        """Type ``keys`` into the terminal, as a user at the keyboard would."""
        await self.evaluate("document.querySelector('.xterm-helper-textarea')?.focus()")
        for name in keys:
            key, code, vk, text, modifiers = _key(name)
            common = {"key": key, "code": code, "windowsVirtualKeyCode": vk, "modifiers": modifiers}
            await self.send("Input.dispatchKeyEvent", type="keyDown", text=text, **common)
            await self.send("Input.dispatchKeyEvent", type="keyUp", **common)

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(_write, path, base64.b64decode(shot["data"]))

    async def close(self) -> None:
        self._reader.cancel()
        await self.socket.close()


class Browser:
    """A headless Chromium and its DevTools endpoint."""

    def __init__(
        self, process: subprocess.Popen[bytes], endpoint: str, session: aiohttp.ClientSession
    ) -> None:
        self.process = process
        self.endpoint = endpoint
        self.session = session
        self.tabs: list[Tab] = []
        self._browser: Tab | None = None

    async def _browser_tab(self) -> Tab:
        if self._browser is None:
            async with self.session.get(f"{self.endpoint}/json/version") as response:
                info = await response.json()
            socket = await self.session.ws_connect(info["webSocketDebuggerUrl"], max_msg_size=0)
            self._browser = Tab(socket, "browser")
        return self._browser

    async def new_tab(
        self, url: str, *, fresh_profile: bool = False, size: tuple[int, int] = (1280, 800)
    ) -> Tab:
        """A tab at ``url``; ``fresh_profile`` opens it in a new browser context, with no cookies."""
        browser = await self._browser_tab()
        params: dict[str, Any] = {"url": "about:blank"}
        if fresh_profile:
            context = await browser.send("Target.createBrowserContext")
            params["browserContextId"] = context["browserContextId"]
        target = (await browser.send("Target.createTarget", **params))["targetId"]
        socket = await self.session.ws_connect(
            f"{self.endpoint.replace('http', 'ws', 1)}/devtools/page/{target}", max_msg_size=0
        )
        tab = Tab(socket, target)
        self.tabs.append(tab)
        await tab.send(
            "Emulation.setDeviceMetricsOverride",
            width=size[0],
            height=size[1],
            deviceScaleFactor=1,
            mobile=False,
        )
        await tab.open(url)
        return tab


@asynccontextmanager
async def launch(executable: str, *, start_timeout: float = 30.0) -> AsyncIterator[Browser]:
    """Start headless Chromium; yield it; always stop it."""
    profile = tempfile.mkdtemp(prefix="warroom-chromium-")
    process = subprocess.Popen(  # noqa: ASYNC220 - its stderr is read line by line below
        [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    session = aiohttp.ClientSession()
    try:
        endpoint = await asyncio.wait_for(_devtools_endpoint(process), start_timeout)
        browser = Browser(process, endpoint, session)
        try:
            yield browser
        finally:
            for tab in browser.tabs:
                await tab.close()
            if browser._browser is not None:
                await browser._browser.close()
    finally:
        await session.close()
        await asyncio.to_thread(stop, process)
        shutil.rmtree(profile, ignore_errors=True)


async def _devtools_endpoint(process: subprocess.Popen[bytes]) -> str:
    """``http://127.0.0.1:PORT`` from the line Chromium prints when its DevTools listen."""
    assert process.stderr is not None
    stderr = process.stderr
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    while True:
        raw = await loop.run_in_executor(None, stderr.readline)
        if not raw:
            raise RuntimeError("Chromium exited before its DevTools listened:\n" + "".join(seen[-20:]))
        line = raw.decode("utf-8", "replace")
        seen.append(line)
        found = re.search(r"DevTools listening on ws://([^/\s]+)/", line)
        if found:
            # Drain the rest of its messages so Chromium never blocks on a full pipe.
            loop.run_in_executor(None, stderr.read)
            return f"http://{found.group(1)}"
