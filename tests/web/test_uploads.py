"""Uploads through the admin: the tus 1.0.0 server, the checks before and after the last byte, and a real video
transcoded (real ffmpeg) and published with its MP4, HLS ladder, poster and captions."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streamkit.archive.models import ArchiveEntry
from streamkit.archive.store import ArchiveStore
from streamkit.media.probe import probe
from streamkit.uploads.folder import UploadFolder
from streamkit.uploads.transcode import TranscodeJob
from streamkit.web.accounts import add_user
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.archive.conftest import CAPTIONS_VTT
from tests.web.conftest import ADMIN, SECRET, STAFF, sign_in
from tests.web.uploads_helpers import FILES, Tus, make_video, upload_settings

MAX_BYTES = 10 * 2**20


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app(upload_settings(tmp_path, max_bytes=MAX_BYTES), secret_key=SECRET)


@pytest.fixture
def tus(store: ArchiveStore, client: FlaskClient) -> Tus:
    add_user(store, *STAFF, roles=ADMIN)
    assert sign_in(client).status_code == 302  # type: ignore[attr-defined]
    return Tus(client)


@pytest.fixture(scope="module")
def small_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("video") / "ceremony.mp4")


def folder_of(app: Flask) -> UploadFolder:
    found: UploadFolder = app.extensions["streamkit_uploads"].folder
    return found


def test_options_names_the_protocol_and_the_limit(tus: Tus) -> None:
    answer = tus.client.options(FILES)
    assert answer.status_code == 204
    assert answer.headers["Tus-Version"] == "1.0.0" and answer.headers["Tus-Max-Size"] == str(MAX_BYTES)
    assert set(answer.headers["Tus-Extension"].split(",")) == {"creation", "expiration", "termination"}


def test_create_then_patch_in_chunks_with_head_between(tus: Tus, app: Flask) -> None:
    data = os.urandom(300_000)
    created = tus.create(len(data), filename="notes.bin")
    assert created.status_code == 201 and created.headers["Tus-Resumable"] == "1.0.0"
    assert "Upload-Expires" in created.headers
    url = created.headers["Location"]
    assert url.startswith(FILES)
    head = tus.head(url)
    assert (head.status_code, head.headers["Upload-Offset"], head.headers["Upload-Length"]) == (200, "0", "300000")
    assert head.headers["Cache-Control"] == "no-store"
    for start in (0, 100_000, 200_000):
        sent = tus.patch(url, start, data[start : start + 100_000])
        assert (sent.status_code, sent.headers["Upload-Offset"]) == (204, str(start + 100_000))
        if start < 200_000:
            assert tus.head(url).headers["Upload-Offset"] == str(start + 100_000)
    upload_id = url.rpartition("/")[2]
    state = tus.wait(url)  # random bytes: refused, see the not-a-video test
    assert state["status"] == "refused" and state["length"] == len(data)
    assert not folder_of(app).part(upload_id).exists()
    # a client that resumes a complete upload is told it is complete, and cannot add to it
    assert tus.head(url).headers["Upload-Offset"] == str(len(data))
    assert tus.patch(url, len(data), b"").status_code == 409


def test_a_patch_at_the_wrong_offset_is_409_and_changes_nothing(tus: Tus, app: Flask) -> None:
    url = tus.location(1000)
    assert tus.patch(url, 0, b"a" * 400).status_code == 204
    wrong = tus.patch(url, 300, b"b" * 100)
    assert wrong.status_code == 409 and "Upload-Offset" in wrong.get_json()["error"]
    assert tus.patch(url, 500, b"b" * 100).status_code == 409
    assert tus.head(url).headers["Upload-Offset"] == "400"
    assert folder_of(app).part(url.rpartition("/")[2]).read_bytes() == b"a" * 400


def test_too_large_uploads_are_413(tus: Tus, app: Flask) -> None:
    assert tus.create(MAX_BYTES + 1).status_code == 413
    url = tus.location(100)
    past = tus.patch(url, 0, b"x" * 101)  # more bytes than Upload-Length promised
    assert past.status_code == 413 and tus.head(url).headers["Upload-Offset"] == "0"


def test_a_patch_with_another_content_type_is_415(tus: Tus) -> None:
    url = tus.location(100)
    assert tus.patch(url, 0, b"x" * 10, content_type="application/octet-stream").status_code == 415
    assert tus.head(url).headers["Upload-Offset"] == "0"


def test_requests_without_the_protocol_version_or_length_are_refused(tus: Tus) -> None:
    no_version = tus.client.post(FILES, headers={"X-CSRFToken": tus.token, "Upload-Length": "10"})
    assert no_version.status_code == 412 and no_version.headers["Tus-Version"] == "1.0.0"
    assert tus.client.post(FILES, headers=tus.headers()).status_code == 400
    assert tus.client.post(FILES, headers=tus.headers(**{"Upload-Defer-Length": "1"})).status_code == 400
    assert tus.create(10, filename="x").status_code == 201
    bad_meta = tus.client.post(FILES, headers=tus.headers(**{"Upload-Length": "10", "Upload-Metadata": "k !!"}))
    assert bad_meta.status_code == 400


def test_patch_and_creation_need_the_csrf_header(tus: Tus) -> None:
    url = tus.location(100)
    headers = {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    assert tus.client.patch(url, data=b"x" * 10, headers=headers).status_code == 400
    assert tus.client.post(FILES, headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10"}).status_code == 400
    assert tus.head(url).headers["Upload-Offset"] == "0"


def test_uploads_need_sign_in_and_belong_to_their_user(tus: Tus, app: Flask, store: ArchiveStore) -> None:
    url = tus.location(100)
    add_user(store, "other", "a second long passphrase", roles=ADMIN)
    other = app.test_client()
    assert sign_in(other, "other", "a second long passphrase").status_code == 302  # type: ignore[attr-defined]
    theirs = Tus(other)
    assert theirs.head(url).status_code == 404
    assert theirs.patch(url, 0, b"x").status_code == 404
    anonymous = app.test_client()
    assert anonymous.head(url, headers={"Tus-Resumable": "1.0.0"}).status_code == 302


def test_delete_gives_an_upload_up(tus: Tus, app: Flask) -> None:
    url = tus.location(100)
    tus.patch(url, 0, b"x" * 10)
    assert tus.client.delete(url, headers=tus.headers()).status_code == 204
    assert tus.head(url).status_code == 404
    assert not list(folder_of(app).root.glob("*.part"))


def test_not_a_video_gets_one_message_and_nothing_is_kept(tus: Tus, app: Flask, store: ArchiveStore) -> None:
    text = "这不是视频。".encode() * 5000
    url = tus.send(text, 64 * 1024, filename="名单.txt", filetype="text/plain")
    state = tus.wait(url)
    assert state["status"] == "refused"
    assert state["message"] == "该文件不是视频，未予保存。请上传视频文件。"
    assert not [path for path in folder_of(app).root.iterdir() if path.suffix in (".part", ".vtt")]
    assert not list(folder_of(app).root.glob("*.work"))
    assert not store.media_dir.exists() or not any(store.media_dir.iterdir())
    with store.session() as session:
        assert session.query(ArchiveEntry).count() == 0
    page = tus.client.get("/admin/uploads/").get_data(as_text=True)
    assert "该文件不是视频" in page and "Traceback" not in page


def test_a_still_picture_is_not_a_video(tus: Tus, tmp_path: Path) -> None:
    picture = tmp_path / "photo.png"
    import subprocess

    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x36", "-frames:v", "1",
                    str(picture)], check=True)  # fmt: skip
    url = tus.send(picture.read_bytes(), 64 * 1024, filename="photo.png")
    assert tus.wait(url)["status"] == "refused"


def test_the_form_is_checked_before_the_upload(tus: Tus) -> None:
    empty = tus.prepare("")
    assert empty.status_code == 400 and "title" in empty.get_json()["errors"]
    bad = tus.prepare("清明祭英烈", b"1\n00:00:00,000 --> 00:00:01,000\nSRT\n")
    assert bad.status_code == 400
    assert bad.get_json()["errors"]["captions"] == ["字幕须为 UTF-8 编码的 WebVTT 文件（首行为 WEBVTT）"]
    good = tus.prepare("清明祭英烈", CAPTIONS_VTT.encode())
    assert good.status_code == 200
    ticket = good.get_json()["ticket"]
    assert tus.create(100, ticket=ticket).status_code == 201
    assert tus.create(100, ticket=ticket).status_code == 400  # one upload per ticket


@pytest.mark.slow
def test_a_real_video_is_transcoded_and_published_with_mp4_hls_poster_and_captions(
    tus: Tus, app: Flask, store: ArchiveStore, small_video: Path
) -> None:
    ticket = tus.prepare("清明公祭仪式录像", CAPTIONS_VTT.encode()).get_json()["ticket"]
    data = small_video.read_bytes()
    url = tus.send(data, 32 * 1024, filename="ceremony.mp4", filetype="video/mp4", ticket=ticket)
    seen: list[float] = []

    def done(state: dict[str, object]) -> bool:
        if state["status"] == "transcoding":
            seen.append(float(state["progress"]))  # type: ignore[arg-type]
        return state["status"] in ("published", "refused", "failed")

    state = tus.wait(url, done)
    assert state["status"] == "published", state
    assert seen == sorted(seen)
    entry_id = int(state["entry_url"].rpartition("/")[2])
    entry = store.entry(entry_id, include_unpublished=True)
    assert entry is not None and entry.kind == "recording" and entry.title == "清明公祭仪式录像"
    media = store.media_dir
    mp4 = probe(media / entry.media_file)
    assert (mp4.video[0].codec, mp4.video[0].width, mp4.video[0].height) == ("h264", 320, 180)
    assert mp4.has_audio and abs(mp4.duration_ms - 2000) <= 100
    assert (media / entry.poster_file).read_bytes()[:2] == b"\xff\xd8"
    assert (media / entry.captions_file).read_text(encoding="utf-8").startswith("WEBVTT")
    master = (media / entry.hls_file).read_text(encoding="utf-8")
    assert "#EXT-X-STREAM-INF" in master and "TYPE=SUBTITLES" in master
    assert list((media / entry.hls_file).parent.glob("*/seg-*.m4s"))
    assert not list(folder_of(app).root.glob("*.part")) and not list(folder_of(app).root.glob("*.work"))
    page = tus.client.get(f"/watch/{entry_id}").get_data(as_text=True)
    assert entry.hls_file in page and entry.media_file in page


def test_a_video_without_sound_gets_a_silent_track(tus: Tus, store: ArchiveStore, tmp_path: Path) -> None:
    silent = make_video(tmp_path / "silent.mp4", seconds=1.0, audio=False)
    url = tus.send(silent.read_bytes(), 1 << 20, filename="silent.mp4")
    state = tus.wait(url)
    assert state["status"] == "published", state
    entry = store.entry(int(state["entry_url"].rpartition("/")[2]), include_unpublished=True)
    assert entry is not None and probe(store.media_dir / entry.media_file).has_audio
    assert entry.title == "silent"


def test_a_title_from_metadata_loses_its_control_characters(tus: Tus, app: Flask) -> None:
    url = tus.location(10, title="公祭\n录像\x07")
    assert tus.status(url)["title"] == "公祭 录像"


def test_the_job_never_shows_the_database_password(tmp_path: Path) -> None:
    job = TranscodeJob(tmp_path, "a" * 32, "postgresql://site:s3cret-pw@db/streamkit", tmp_path, ())
    assert "s3cret-pw" not in repr(job) and "s3cret-pw" not in str(job)


# an interrupted PATCH, over a real HTTP connection that is cut half-way


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    app.extensions[STORE_KEY].dispose()


def test_head_resumes_after_an_interrupted_patch(tus: Tus, app: Flask, live: str) -> None:
    data = os.urandom(200_000)
    url = tus.location(len(data))
    cookie = tus.client.get_cookie("session")
    assert cookie is not None
    host, _, port = live.partition(":")
    head = (
        f"PATCH {url} HTTP/1.1\r\nHost: {live}\r\nCookie: session={cookie.value}\r\nTus-Resumable: 1.0.0\r\n"
        f"X-CSRFToken: {tus.token}\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(head.encode() + data[:70_000])  # the connection drops after 70 kB of 200 kB
    folder = folder_of(app)
    upload_id = url.rpartition("/")[2]

    def settled() -> bool:  # the server kept what arrived and let go of the upload
        return tus.head(url).headers["Upload-Offset"] == "70000" and _unlocked(folder.part(upload_id))

    tus_wait_for(settled)
    assert folder.part(upload_id).read_bytes() == data[:70_000]
    sent = tus.patch(url, 70_000, data[70_000:])
    assert (sent.status_code, sent.headers["Upload-Offset"]) == (204, "200000")
    assert tus.wait(url)["status"] == "refused"  # random bytes; the transcode still got the whole upload


def _unlocked(path: Path) -> bool:
    import fcntl

    with path.open("rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def tus_wait_for(condition: object) -> None:
    import time

    for _ in range(600):
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    pytest.fail("the interrupted PATCH was not settled within 30 s")
