"""A TCP proxy between the ledger and PostgreSQL that can cut the connection at the worst
moment: right after the server said ``COMMIT`` and before the client heard it. The server
has stored the write; the client only knows its connection died."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

#: PostgreSQL's CommandComplete message for a COMMIT: 'C', length 11, "COMMIT\0".
COMMIT_COMPLETE = b"C\x00\x00\x00\x0bCOMMIT\x00"
LOCK_COMPLETE = b"LOCK TABLE\x00"


class CuttingProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._cut_next_commit = threading.Event()
        self._refuse_after_cut = False
        self._marked: set[int] = set()  # connections in a transaction that inserts events
        self.refusing = threading.Event()  # drop every new connection at once
        self.cuts = 0
        self._closed = False
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_after_next_commit(self, *, then_refuse: bool = False) -> None:
        """Cut the next connection that inserts events right after its COMMIT succeeded;
        ``then_refuse``: also cut every other connection and refuse new ones (until
        ``refusing`` is cleared), so that the client cannot find out what happened."""
        self._refuse_after_cut = then_refuse
        self._cut_next_commit.set()

    def _cut_everything(self) -> None:
        self.refusing.set()
        for s in self._sockets:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        with suppress(OSError):
            self._listener.close()
        for s in self._sockets:
            with suppress(OSError):
                s.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refusing.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            self._sockets += [client, server]
            pair = id(client)
            args = (client, server, pair, False)
            threading.Thread(target=self._pipe, args=args, daemon=True).start()
            args = (server, client, pair, True)
            threading.Thread(target=self._pipe, args=args, daemon=True).start()

    def _pipe(
        self, source: socket.socket, sink: socket.socket, pair: int, from_server: bool
    ) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                # The server's "LOCK TABLE" completion: this transaction inserts events
                # (the statement text itself is not sent again once psycopg prepared it).
                if from_server and self._cut_next_commit.is_set() and LOCK_COMPLETE in data:
                    self._marked.add(pair)
                if from_server and pair in self._marked and COMMIT_COMPLETE in data:
                    self._marked.discard(pair)
                    self._cut_next_commit.clear()
                    self.cuts += 1
                    if self._refuse_after_cut:
                        self._cut_everything()
                    break  # the server committed; the client never hears it
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with suppress(OSError):
                    s.close()
