"""Running an ASGI app under uvicorn in a background thread, on a loopback port.

The sandbox, the demo and tests all need "start this app, give me its URL, stop it cleanly";
this is the one implementation. The listening socket is created here with ``IPPROTO_TCP``
explicitly: asyncio only sets ``TCP_NODELAY`` on accepted connections when the socket's
protocol says TCP, and without it Nagle's algorithm and delayed ACKs stall every request by
about 40 ms.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any, Literal, Self

import uvicorn

from mmtkit.errors import MmtkitError

__all__ = ["ServerStartError", "ThreadedServer"]


class ServerStartError(MmtkitError, RuntimeError):
    """The server thread did not come up (port taken, or it crashed while starting)."""


class Running:
    """``with`` starts and stops: a subclass defines ``start`` (returning itself) and
    ``stop``."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ThreadedServer(Running):
    """``with ThreadedServer(app) as server: ... server.url ...``; ``port=0`` picks a free one."""

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        start_timeout: float = 5.0,
        lifespan: Literal["auto", "on", "off"] = "auto",
        name: str = "mmtkit-server",
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._start_timeout = start_timeout
        self._lifespan = lifespan
        self._name = name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        if self._server is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ServerStartError(f"cannot listen on {self.host}:{self.port}: {exc}") from None
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan=self._lifespan,
            timeout_graceful_shutdown=1,
            access_log=False,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self._name, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise ServerStartError(f"{self._name} did not start; see the log above")
            time.sleep(0.005)
        self._server, self._thread, self._socket = server, thread, sock
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

