"""Helpers for the upload tests: a site whose uploads land in the test's folder, a small real video, and a
minimal tus client over Flask's test client."""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from streamkit.config.settings import Settings
from tests.web.conftest import csrf_token, web_settings

UPLOAD_PAGE = "/admin/uploads/"
FILES = "/admin/uploads/files/"
POLL_SECONDS = 0.1
MAX_POLLS = 1800  # three minutes: a transcode on a loaded 2-core machine; longer means it hung


def upload_settings(tmp_path: Path, **uploads: object) -> Settings:
    return web_settings(tmp_path, uploads={"folder": tmp_path / "uploads", **uploads})


def make_video(path: Path, *, seconds: float = 2.0, audio: bool = True) -> Path:
    """A real small video: 320x180 test pattern, 25 fps, with a tone unless ``audio`` is False."""
    argv = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={seconds}"]
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", str(path)]
    subprocess.run(argv, check=True)
    return path


def metadata(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


class Tus:
    """A tus 1.0.0 client on a signed-in test client: the requests the browser's tus-js-client makes."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_token(client.get(UPLOAD_PAGE).get_data(as_text=True))

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Tus-Resumable": "1.0.0", "X-CSRFToken": self.token, **extra}

    def create(self, length: int, **meta: str) -> Any:
        extra = {"Upload-Metadata": metadata(**meta)} if meta else {}
        return self.client.post(FILES, headers=self.headers(**{"Upload-Length": str(length), **extra}))

    def location(self, length: int, **meta: str) -> str:
        created = self.create(length, **meta)
        assert created.status_code == 201, created.get_data(as_text=True)
        return str(created.headers["Location"])

    def patch(self, url: str, offset: int, body: bytes, content_type: str = "application/offset+octet-stream") -> Any:
        headers = self.headers(**{"Upload-Offset": str(offset), "Content-Type": content_type})
        return self.client.patch(url, data=body, headers=headers)

    def head(self, url: str) -> Any:
        return self.client.head(url, headers=self.headers())

    def send(self, data: bytes, chunk: int, **meta: str) -> str:
        """Create an upload and send ``data`` in chunks; its URL."""
        url = self.location(len(data), **meta)
        for start in range(0, len(data), chunk):
            sent = self.patch(url, start, data[start : start + chunk])
            assert sent.status_code == 204, sent.get_data(as_text=True)
        return url

    def prepare(self, title: str, captions: bytes | None = None) -> Any:
        data: dict[str, Any] = {"title": title, "csrf_token": self.token}
        if captions is not None:
            import io

            data["captions"] = (io.BytesIO(captions), "captions.vtt")
        return self.client.post("/admin/uploads/prepare", data=data, content_type="multipart/form-data")

    def status(self, url: str) -> dict[str, Any]:
        upload_id = url.rstrip("/").rpartition("/")[2]
        answer = self.client.get(f"/admin/uploads/{upload_id}/status")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        found: dict[str, Any] = answer.get_json()
        return found

    def wait(self, url: str, done: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
        """Poll the upload's status until it ended (or ``done`` says so)."""
        for _ in range(MAX_POLLS):
            state = self.status(url)
            if (done or ended)(state):
                return state
            time.sleep(POLL_SECONDS)
        pytest.fail(f"upload {url} did not end: {state}")


def ended(state: dict[str, Any]) -> bool:
    return state["status"] in ("published", "refused", "failed")
