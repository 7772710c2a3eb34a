"""Login-code delivery. Production plugs a real SMS gateway in behind domain.ports.CodeSender."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from domain.members.phone import mask_phone

log = logging.getLogger(__name__)


class DevCodeSink:
    """Development sender: logs the code, keeps the latest per phone, optionally appends to a file."""

    def __init__(self, path: str | None = None) -> None:
        self._path = Path(path) if path else None
        self.latest: dict[str, str] = {}

    async def send_login_code(self, phone: str, code: str) -> None:
        self.latest[phone] = code
        log.warning("DEV SMS to %s: your login code is %s", mask_phone(phone), code)
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as sink:
                sink.write(json.dumps({"phone": phone, "code": code}) + "\n")
