"""A loopback TCP proxy in front of the relay (or in front of a relay node's
Redis) that a test can slow down, cut and partition, as a flaky network
would: `cut()` aborts every connection through it (no closing handshake);
new connections still go through. `partition()` lets nothing through either
way, and tells nobody: open connections go silent and new ones reach
nothing, until `heal()` lets through what waited, in order, as TCP delivers
what it retransmits once the network is back."""

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
        self._flowing = threading.Event()
        self._flowing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self._flowing.wait()  # made while partitioned: it reaches the other side once healed
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
            while True:
                data = src.recv(16384)
                self._flowing.wait()  # partitioned: held (the end of the stream too), not dropped
                if not data:
                    break
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

    def partition(self) -> None:
        """From now on nothing passes either way, until `heal()`."""
        self._flowing.clear()

    def heal(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._stopped = True
        self.listener.close()
        self.cut()
        self._flowing.set()
