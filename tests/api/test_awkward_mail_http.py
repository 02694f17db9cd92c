"""The awkward corpus (tests/awkward_mail.py) over HTTP, on SQLite and PostgreSQL: an upload
of any of its messages never answers 5xx; compressed mailboxes and zip files are read; every
original, variants included, downloads byte for byte."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile

from tests.api.conftest import TM, Api
from tests.awkward_mail import corpus, mbox_of
from tests.outlook_files import outlook_message

CORPUS = corpus()


def test_each_awkward_message_uploads_without_a_server_error_and_downloads_whole(
    api: Api,
) -> None:
    headers = api.headers(TM)
    for name, data, expected in CORPUS:
        files = [("files", (name, data, "message/rfc822"))]
        response = api.client.post(api.url("/imports/eml"), files=files, headers=headers)
        assert response.status_code == 200, (name, response.text)
        (result,) = response.json()["results"]
        assert result["outcome"] == expected["outcome"], (name, result)
        # Every original, the variant's too, downloads byte for byte.
        download = api.get(api.url(f"/documents/{hashlib.sha256(data).hexdigest()}"))
        assert download.content == data, name
    # Hostile names and bytes too: a file name that is no UTF-8, a file that is no message.
    for filename, data in ((b"\xff.eml", b"\xff\xfe\x00"), (b"x", b"From: \xff\r\n\r\n\x00")):
        body = (
            b'--B\r\nContent-Disposition: form-data; name="files"; filename="'
            + filename
            + b'"\r\nContent-Type: message/rfc822\r\n\r\n'
            + data
            + b"\r\n--B--\r\n"
        )
        response = api.client.post(
            api.url("/imports/eml"),
            content=body,
            headers={**headers, "Content-Type": "multipart/form-data; boundary=B"},
        )
        assert response.status_code < 500, response.text


def test_a_gzipped_mailbox_and_a_zip_of_messages_are_read(api: Api) -> None:
    mbox = gzip.compress(mbox_of([data for _, data, _ in CORPUS[:5]]))
    files = [("file", ("archive.mbox.gz", mbox, "application/gzip"))]
    response = api.client.post(api.url("/imports/mbox"), files=files, headers=api.headers(TM))
    assert response.status_code == 200, response.text
    assert (response.json()["messages"], response.json()["rejected"]) == (5, 0)

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        for name, data, _ in CORPUS[5:9]:
            archive.writestr(f"export/{name.removesuffix('.eml')}", data)
        archive.writestr("export/index.html", b"<html></html>")
    files = [("files", ("export.zip", packed.getvalue(), "application/zip"))]
    body = api.client.post(api.url("/imports/eml"), files=files, headers=api.headers(TM)).json()
    assert (body["messages"], body["imported"], body["rejected"]) == (4, 4, 0)
    assert [s["where"] for s in body["skipped"]] == ["export.zip:export/index.html"]


def test_an_outlook_file_upload_keeps_the_file_as_the_original(api: Api) -> None:
    data = outlook_message(
        subject="Budget",
        body="Agreed.",
        sender=TM,
        headers=f"From: {TM}\r\nTo: cl@client.test\r\nSubject: Budget\r\n"
        "Date: Mon, 2 Mar 2026 09:00:00 +0100\r\nMessage-ID: <o-1@acme.test>\r\n\r\n",
    )
    files = [("files", ("Budget.msg", data, "application/vnd.ms-outlook"))]
    body = api.client.post(api.url("/imports/eml"), files=files, headers=api.headers(TM)).json()
    (result,) = body["results"]
    assert result["outcome"] == "imported", result
    interaction = api.get(api.url(f"/interactions/{result['interaction_id']}")).json()
    assert interaction["body_sha256"] == hashlib.sha256(data).hexdigest()
    original = api.get(api.url(f"/documents/{interaction['body_sha256']}"))
    assert original.content == data
    assert original.headers["content-type"].startswith("application/vnd.ms-outlook")
