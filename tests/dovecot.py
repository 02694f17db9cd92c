"""A throw-away Dovecot IMAP server for the tests (Debian's ``dovecot-imapd``): a configuration
in a temporary directory, plain-text logins on a free loopback port, Maildir mailboxes, stopped at
exit. Like tests/pgserver.py it never skips: when Dovecot cannot start, the tests fail and say
why (``make test`` installs the package when it is missing)."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class DovecotUnavailableError(RuntimeError):
    pass


@dataclass
class DovecotServer:
    host: str
    port: int
    user: str
    password: str

    def url(self, folder: str = "INBOX") -> str:
        return f"imap://{self.user}@{self.host}:{self.port}/{folder}"

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a message (IMAP APPEND, as a mail client or delivery agent would)."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(self.user, self.password)
            client.create(folder)  # harmless when it exists
            typ, data = client.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert typ == "OK", data
        finally:
            client.logout()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@contextlib.contextmanager
def running_dovecot() -> Iterator[DovecotServer]:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        raise DovecotUnavailableError(
            "Dovecot is not installed: run `make test` as root (it installs dovecot-imapd) or "
            "`apt-get install dovecot-imapd`"
        )
    root = Path(tempfile.mkdtemp(prefix="accord-dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    port = _free_port()
    user, password = "pm@acme.test", "imap-secret"
    (root / "users").write_text(f"{user}:{{PLAIN}}{password}\n")
    config = root / "dovecot.conf"
    # Dovecot will not keep mail as root: the mailboxes belong to the unprivileged `nobody`.
    owner = pwd.getpwnam("nobody")
    os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    config.write_text(CONFIG.format(root=root, port=port, uid=owner.pw_uid, gid=owner.pw_gid))
    # In the foreground (-F), as a child of the tests: stopped with them, its output in a file.
    with (root / "stdout.log").open("wb") as out:
        process = subprocess.Popen(
            [binary, "-F", "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (root / "dovecot.log").read_text(errors="replace")
                        if (root / "dovecot.log").exists()
                        else ""
                    )
                    output = (root / "stdout.log").read_text(errors="replace")
                    raise DovecotUnavailableError(
                        f"dovecot is not listening on 127.0.0.1:{port}: {output}{log}"
                    ) from None
                time.sleep(0.05)
        yield DovecotServer("127.0.0.1", port, user, password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if not os.environ.get("ACCORD_KEEP_DOVECOT"):
            shutil.rmtree(root, ignore_errors=True)
