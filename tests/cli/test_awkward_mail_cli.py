"""``accord import`` on mail as it really is (SQLite and PostgreSQL): a Maildir whose files
have no ``.eml`` names, a gzipped mailbox, a folder with no mail in it."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from tests.awkward_mail import corpus, mbox_of
from tests.cli.test_import_export_cli import PM, accord, project

CORPUS = corpus()


def test_a_maildir_and_a_gzipped_mailbox_import_whole_then_add_nothing(
    database_url: str, tmp_path: Path
) -> None:
    project_id = str(project(database_url))
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for i, (_, data, _) in enumerate(CORPUS):
        (maildir / "cur" / f"17000000{i:02d}.M{i}P1.host:2,S").write_bytes(data)
    args = ("--project", project_id, "--as", PM)
    code, out, _ = accord(database_url, "import", "eml", str(maildir), *args)
    assert code == 0, out
    assert re.search(rf"imported\W+{len(CORPUS) - 1}\b", out)
    assert re.search(r"variants \(same Message-ID, other bytes: kept\)\W+1\b", out)
    assert re.search(r"delivery failures \(bounces\)\W+5\b", out)
    code, out, _ = accord(database_url, "import", "eml", str(maildir), *args)
    assert code == 0
    assert re.search(r"imported\W+0\b", out)
    assert re.search(rf"same bytes\)\W+{len(CORPUS)}\b", out)

    archive = tmp_path / "2026-March.txt.gz"
    archive.write_bytes(gzip.compress(mbox_of([d for _, d, _ in CORPUS[8:11]])))
    code, out, _ = accord(database_url, "import", "mbox", str(archive), *args)
    assert code == 0, out
    assert re.search(r"messages read\W+3\b", out)


def test_a_folder_without_mail_is_an_error_not_an_empty_import(
    database_url: str, tmp_path: Path
) -> None:
    project_id = str(project(database_url))
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    code, _, err = accord(
        database_url, "import", "eml", str(tmp_path), "--project", project_id, "--as", PM
    )
    assert code == 2
    assert "no email messages found" in err
