"""Which of SQLite's locks on a database do *other* processes hold?

SQLite coordinates processes with POSIX advisory locks, which belong to a process: a process
that closes any descriptor of its own on the file drops them all ("How To Corrupt An SQLite
Database File", section 2.2). A process with the database open in WAL mode holds, between its
transactions too, a read lock on the database's SHARED range and one on the ``-shm`` file's
"dead man switch" byte. Without the first, another process closing its last connection takes
the database for itself, checkpoints and *deletes the WAL* under the first one's writes; without
the second, another process opening the database resets the ``-shm`` index under it.

:func:`locks_held_elsewhere` asks from a child process (a process never conflicts with its own
locks), by trying each lock for writing without waiting and letting it go at once.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: The SHARED range of SQLite's unix VFS (PENDING byte at 1 GiB, RESERVED after it, then 510
#: bytes), and the ``-shm`` file's dead man switch (after the 8 WAL lock bytes at 120).
SHARED_FIRST, SHARED_SIZE = 0x40000002, 510
SHM_DMS = 128

_PROBE = """
import fcntl, os, sys

def held(path, start, length):
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, length, start)
        return False
    finally:
        os.close(fd)

database = sys.argv[1]
found = []
if held(database, int(sys.argv[2]), int(sys.argv[3])):
    found.append("database")
if held(database + "-shm", int(sys.argv[4]), 1):
    found.append("shm")
print(" ".join(found))
"""


def locks_held_elsewhere(database: Path) -> set[str]:
    """``{"database", "shm"}`` when some other process holds both SQLite locks above (what a
    process with the database open in WAL mode holds); fewer when they were lost."""
    arguments = [str(database), str(SHARED_FIRST), str(SHARED_SIZE), str(SHM_DMS)]
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return set(probe.stdout.split())
