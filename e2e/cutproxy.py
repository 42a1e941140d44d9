"""A loopback TCP proxy in front of the relay that a test can slow down and
cut, as a flaky network would: `cut()` aborts every connection through it
(no closing handshake); new connections still go through."""

from __future__ import annotations

import socket
import threading
import time


class CutProxy:
    def __init__(self, upstream: tuple[str, int], bytes_per_second: float | None = None) -> None:
        self.upstream = upstream
        self.rate = bytes_per_second
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.cuts = 0
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                if self._stopped:  # closed while this one connected: close() will not see it
                    client.close()
                    server.close()
                    return
                self._open += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(16384):
                if self.rate:
                    time.sleep(len(data) / self.rate)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """Drop every open connection, as when a network goes away."""
        with self._lock:
            sockets, self._open = self._open, []
            self.cuts += 1
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)  # wakes the pumps; neither side gets a closing handshake
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._stopped = True
        self.listener.close()
        self.cut()
