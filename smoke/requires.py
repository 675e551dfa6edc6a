"""Preconditions: a live endpoint or a binary a scenario needs. Unmet => loud SKIP."""
from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

from smoke.errors import SmokeError

DEFAULT_CONNECT_TIMEOUT = 2.0
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "grpc": 443, "redis": 6379, "postgres": 5432, "postgresql": 5432}


def connect_timeout() -> float:
    """$SMOKE_CONNECT_TIMEOUT seconds for an endpoint to accept a connection (default 2)."""
    raw = os.environ.get("SMOKE_CONNECT_TIMEOUT")
    if not raw:
        return DEFAULT_CONNECT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise SmokeError(f"SMOKE_CONNECT_TIMEOUT={raw!r} is not a number of seconds greater than 0", hint="e.g. SMOKE_CONNECT_TIMEOUT=5")
    return value


def endpoint(req: str) -> tuple[str, int] | None:
    """(host, port) of a URL or host:port requirement."""
    if "://" in req:
        parts = urlsplit(req)
        if not parts.hostname:
            return None
        try:
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
        except ValueError:
            return None
        return (parts.hostname, port) if port else None
    host, _, digits = req.rpartition(":")
    if not host or not digits.isdigit():
        return None
    return host.strip("[]"), int(digits)


class Checker:
    """Checks requirements once per run, however many scenarios share them."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = connect_timeout() if timeout is None else timeout
        self._cache: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()

    def unmet(self, requires: tuple[str, ...], env: Mapping[str, str]) -> str | None:
        """The first unmet requirement as a reason, or None when all are met."""
        for req in requires:
            key = (req, env.get("PATH", "") if req.startswith("cmd:") else "")
            with self._lock:
                known = key in self._cache
                reason = self._cache.get(key)
            if not known:
                reason = self._check(req, env)
                with self._lock:
                    self._cache[key] = reason
            if reason:
                return reason
        return None

    def _check(self, req: str, env: Mapping[str, str]) -> str | None:
        if req.startswith("cmd:"):
            name = req[4:]
            if shutil.which(name, path=env.get("PATH")) is None:
                return f"required command '{name}' is not on PATH"
            return None
        target = endpoint(req)
        if target is None:
            return f"cannot tell host and port of requirement {req!r}"
        host, port = target
        try:
            with socket.create_connection((host, port), timeout=self.timeout):
                return None
        except TimeoutError:
            return f"endpoint {req} unreachable (no answer within {self.timeout:g}s)"
        except OSError as e:
            why = e.strerror or str(e) or type(e).__name__
            return f"endpoint {req} unreachable ({why.lower()})"
