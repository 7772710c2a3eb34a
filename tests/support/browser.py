"""Headless Chromium driven over the DevTools protocol, for tests that must type and click like a user
(--dump-dom only loads a page; it cannot fill a form). Every host but loopback fails to resolve, so a
page that needs the network beyond the app fails the test."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    """One tab. Commands wait for their own reply; events in between are dropped."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict:
        command_id = next(self._ids)
        await self._socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self._socket.recv(), timeout=30))
            if message.get("id") == command_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")

    async def wait_for(self, condition: str) -> None:
        """Poll in the page itself (the command's reply waits for it; send() gives up after 30 s)."""
        await self.evaluate("new Promise((resolve) => { const check = () => "
                            f"({condition}) ? resolve(true) : setTimeout(check, 50); check(); }})")

    async def click(self, selector: str) -> None:
        """A real mouse click at the element's centre (a hidden or covered element gets nothing)."""
        box = await self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                                  ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    async def type_into(self, selector: str, text: str) -> None:
        await self.click(selector)
        await self.send("Input.insertText", text=text)

    async def html(self) -> str:
        return str(await self.evaluate("document.documentElement.outerHTML"))


@asynccontextmanager
async def browser_page() -> AsyncIterator[Page]:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        proc = await asyncio.create_subprocess_exec(
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-extensions",
            "--disable-sync", "--no-first-run", "--no-default-browser-check", "--mute-audio",
            f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--window-size=1280,900",
            "about:blank", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert proc.stderr is not None
            endpoint = None
            while endpoint is None:
                line = (await asyncio.wait_for(proc.stderr.readline(), timeout=60)).decode()
                assert line, "chromium exited before opening its DevTools port"
                found = re.search(r"DevTools listening on (ws://\S+)", line)
                endpoint = found.group(1) if found else None
            # Keep reading chromium's log so a full pipe never stalls the browser.
            drain = asyncio.create_task(proc.stderr.read())
            async with connect(endpoint, max_size=None) as browser:
                root = Page(browser)
                target = (await root.send("Target.createTarget", url="about:blank"))["targetId"]
                port = re.search(r":(\d+)/", endpoint).group(1)  # type: ignore[union-attr]
                async with connect(f"ws://127.0.0.1:{port}/devtools/page/{target}", max_size=None) as socket:
                    page = Page(socket)
                    await page.send("Page.enable")
                    yield page
        finally:
            proc.kill()
            await proc.wait()
            if "drain" in locals():
                await drain
