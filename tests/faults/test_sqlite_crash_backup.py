"""SQLite under writes: a backup taken meanwhile restores into a ledger that ``accord verify``
calls intact and that holds everything acknowledged before the backup began; a server started on
a restore without its signing key refuses to checkpoint (and says which key it expects) instead
of making a new key; kill -9 of the server after a backup taken under writes loses nothing it
acknowledged."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from ledger.domain.commitment import Commitment
from ledger.service.application import Ledger
from ledger.storage.backup import BackupError, restore
from ledger.storage.settings import parse_database_url
from tests.api.conftest import TM
from tests.faults.conftest import ACCORD, Server
from tests.faults.load import Load, prepare
from tests.sqlite_locks import locks_held_elsewhere


def accord(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ACCORD, *args, "--database-url", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )


def acknowledged(load: Load, more_than: int, timeout: float = 30.0) -> None:
    """Wait until more than ``more_than`` writes were acknowledged (a loaded machine may take a
    while to answer the first)."""
    deadline = time.monotonic() + timeout
    while len(load.made) <= more_than:
        assert not load.errors, load.errors
        assert time.monotonic() < deadline, f"only {len(load.made)} writes acknowledged"
        time.sleep(0.05)


def test_backup_and_restore_under_writes(tmp_path: Path, serve: Callable[..., Server]) -> None:
    (tmp_path / "live").mkdir()
    url = f"sqlite:///{tmp_path / 'live' / 'accord.db'}"
    project, tokens = prepare(url)
    env = {"ACCORD_DATABASE_URL": url, "ACCORD_CHECKPOINT_SECONDS": "0.5"}
    node = serve(env)
    load = Load([node.url], project, tokens, patience=10)
    load.start(writers_per_node=3)
    time.sleep(1.5)
    acknowledged(load, more_than=5)
    before_backup = set(load.made)
    backup = accord("backup", str(tmp_path / "backup"), url=url)
    assert backup.returncode == 0, backup.stderr
    assert "signing key: accord.ledger/" in backup.stdout, backup.stdout
    acknowledged(load, more_than=len(load.made) + 5)
    load.finish()
    node.stop()
    assert not load.errors, load.errors
    assert not load.conflicts, load.conflicts[:3]
    assert len(load.made) > len(before_backup) > 0
    verified = accord("verify", url=url)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # The backup, restored elsewhere: intact, with what was acknowledged before it began.
    restored_url = f"sqlite:///{tmp_path / 'restored' / 'accord.db'}"
    restored = accord("restore", str(tmp_path / "backup"), url=restored_url)
    assert restored.returncode == 0, restored.stderr
    assert (tmp_path / "restored" / "accord-log.key").exists()
    verified = accord("verify", url=restored_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout
    ledger = Ledger(restored_url)
    try:
        for item in before_backup:
            assert list(ledger.events.get(UUID(item)))
    finally:
        ledger.close()
    with pytest.raises(BackupError, match="already holds events"):
        restore(
            tmp_path / "backup",
            parse_database_url(restored_url),
            tmp_path / "restored" / "accord-log.key",
        )

    # Restored without its key: the server serves, but never signs with a new key.
    (tmp_path / "restored" / "accord-log.key").unlink()
    keyless = serve({"ACCORD_DATABASE_URL": restored_url, "ACCORD_CHECKPOINT_SECONDS": "0.2"})
    deadline = time.monotonic() + 10
    while True:
        health = httpx.get(f"{keyless.url}/health", timeout=10).json()
        loops = {loop["name"]: loop for loop in health["loops"]}
        if loops["checkpoints"]["state"] == "refused":
            break
        assert time.monotonic() < deadline, health
        time.sleep(0.1)
    assert health["status"] == "degraded"
    assert "signed by key accord.ledger/" in loops["checkpoints"]["last_error"]
    assert not (tmp_path / "restored" / "accord-log.key").exists()
    # The routes that need the key say why they cannot answer (the tokens were restored too).
    key = httpx.get(
        f"{keyless.url}/v1/log/key",
        headers={"Authorization": f"Bearer {tokens[TM]}"},
        timeout=10,
    )
    assert key.status_code == 503
    assert key.json()["type"].endswith("/signing-key-unusable")
    assert not (tmp_path / "restored" / "accord-log.key").exists()


def test_kill_9_under_writes_loses_nothing(tmp_path: Path, serve: Callable[..., Server]) -> None:
    """Writes under load, `accord backup` (its own process, as an operator runs it) in the middle,
    then kill -9 of the server: every write it acknowledged is there after a restart, once, the
    log verifies, and the backup restores into a ledger that verifies too."""
    (tmp_path / "live").mkdir()
    url = f"sqlite:///{tmp_path / 'live' / 'accord.db'}"
    project, tokens = prepare(url)
    env = {"ACCORD_DATABASE_URL": url, "ACCORD_CHECKPOINT_SECONDS": "0.5"}
    node = serve(env)
    load = Load([node.url], project, tokens, patience=10)
    load.start(writers_per_node=3)
    time.sleep(1.0)
    acknowledged(load, more_than=5)
    before_backup = set(load.made)
    backup = accord("backup", str(tmp_path / "backup"), url=url)
    assert backup.returncode == 0, backup.stderr
    # The server still holds SQLite's locks (nothing of ours closed a descriptor of its own on
    # the file): without them the last connection of another process to close deletes the WAL
    # under the server's writes, which a kill -9 then loses.
    assert locks_held_elsewhere(tmp_path / "live" / "accord.db") == {"database", "shm"}
    # Writes go on after the backup (more of them acknowledged), then the kill.
    acknowledged(load, more_than=len(load.made) + 5)
    time.sleep(0.5)
    node.kill()  # kill -9, writes in flight
    load.finish()
    assert not load.errors, load.errors
    assert len(load.made) > len(before_backup) > 0
    # The same file, a new server: every acknowledged write is there, once.
    again = serve(env)
    ledger = Ledger(url)
    try:
        missing = [item for item in load.made if not list(ledger.events.get(UUID(item)))]
        assert not missing, f"{len(missing)} of {len(load.made)} acknowledged writes lost"
        for item in load.made:
            events = list(ledger.events.get(UUID(item)))
            assert isinstance(events[0], Commitment.Made)
            assert sum(isinstance(e, Commitment.Fulfilled) for e in events) <= 1
    finally:
        ledger.close()
    assert httpx.get(f"{again.url}/health", timeout=10).status_code == 200
    again.stop()
    verified = accord("verify", url=url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout
    # The backup taken under the writes: restorable, intact, with what was acknowledged before.
    restored_url = f"sqlite:///{tmp_path / 'restored' / 'accord.db'}"
    restored = accord("restore", str(tmp_path / "backup"), url=restored_url)
    assert restored.returncode == 0, restored.stderr
    verified = accord("verify", url=restored_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout
    ledger = Ledger(restored_url)
    try:
        absent = [item for item in before_backup if not list(ledger.events.get(UUID(item)))]
        assert not absent, f"{len(absent)} writes acknowledged before the backup are not in it"
    finally:
        ledger.close()
