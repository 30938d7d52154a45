"""The upload folder: each upload's bytes so far, what it is, and what became of it, as files.

``ID.part`` holds the bytes received (its size is the tus offset), ``ID.json`` the upload (its length, name,
title, who sent it), ``ID.state.json`` its progress after the last byte (probe, transcode, publish) and
``ID.work/`` the transcode's scratch files. Tickets (``tickets/T.json``, with captions beside them) carry what the
admin form checked before the first byte was sent. Every write of a JSON file is atomic, so the site, a farm
worker and an expiry sweep on another machine see either the old or the new content.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from pydantic import BaseModel, ConfigDict

from streamkit.errors import StreamkitError
from streamkit.media.publish import write_text_atomic

UploadStatus = Literal["uploading", "received", "probing", "transcoding", "published", "refused", "failed"]
ENDED: tuple[UploadStatus, ...] = ("published", "refused", "failed")
ID_PATTERN = re.compile(r"[0-9a-f]{32}")
WRITE_PIECE = 1 << 20


class UploadError(StreamkitError):
    """An upload request the folder cannot take; ``status`` is the HTTP status tus gives it."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


class Upload(BaseModel):
    """What is being uploaded (written at creation, never changed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    length: int
    filename: str
    title: str
    user: str  # the staff user who created it: only they may continue it
    created_at: float
    captions: str = ""  # a WebVTT file in the upload folder, from the ticket


class UploadState(BaseModel):
    """What became of an upload after its last byte; the admin polls it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: UploadStatus
    progress: float = 0.0  # of the transcode, 0..1
    # why it was refused or failed, as a key the site translates ("not_video", "failed") and a detail for staff
    problem: str = ""
    detail: str = ""
    entry_id: int | None = None
    updated_at: float = 0.0


class Ticket(BaseModel):
    """The admin form's title and captions, checked before the upload starts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    user: str
    captions: str = ""
    created_at: float


class UploadFolder:
    def __init__(self, root: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.root = root
        self.clock = clock

    # paths
    def part(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.part"

    def record(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.json"

    def state_file(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.state.json"

    def work(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.work"

    @property
    def tickets(self) -> Path:
        return self.root / "tickets"

    # tickets
    def add_ticket(self, ticket: Ticket, captions: bytes | None) -> Ticket:
        self.tickets.mkdir(parents=True, exist_ok=True)
        if captions is not None:
            target = self.tickets / f"{ticket.id}.vtt"
            target.write_bytes(captions)
            ticket = ticket.model_copy(update={"captions": str(target)})
        write_text_atomic(self.tickets / f"{ticket.id}.json", ticket.model_dump_json())
        return ticket

    def take_ticket(self, ticket_id: str, user: str) -> Ticket:
        """The ticket, which then cannot be used again (one upload per form)."""
        path = self.tickets / f"{ticket_id}.json"
        if not ID_PATTERN.fullmatch(ticket_id) or not path.is_file():
            raise UploadError(400, "unknown or used upload ticket")
        ticket = Ticket.model_validate_json(path.read_text(encoding="utf-8"))
        if ticket.user != user:
            raise UploadError(400, "unknown or used upload ticket")
        path.unlink()
        return ticket

    # uploads
    def captions(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.vtt"

    def create(self, upload: Upload, ticket: Ticket | None = None) -> Upload:
        """Start an upload (with the ticket's captions, moved beside it); returns it as recorded."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.part(upload.id).touch(exist_ok=False)
        if ticket is not None and ticket.captions:
            os.replace(ticket.captions, self.captions(upload.id))
            upload = upload.model_copy(update={"captions": str(self.captions(upload.id))})
        write_text_atomic(self.record(upload.id), upload.model_dump_json())
        self.set_state(upload.id, UploadState(status="uploading"))
        return upload

    def load(self, upload_id: str, user: str | None = None) -> Upload:
        """The upload; another user's, or one that expired, is unknown (404)."""
        path = self.record(upload_id)
        if not ID_PATTERN.fullmatch(upload_id) or not path.is_file():
            raise UploadError(404, "no such upload")
        upload = Upload.model_validate_json(path.read_text(encoding="utf-8"))
        if user is not None and upload.user != user:
            raise UploadError(404, "no such upload")
        return upload

    def offset(self, upload_id: str) -> int:
        try:
            return self.part(upload_id).stat().st_size
        except FileNotFoundError:
            return 0

    def state(self, upload_id: str) -> UploadState:
        try:
            return UploadState.model_validate_json(self.state_file(upload_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UploadError(404, "no such upload") from None

    def set_state(self, upload_id: str, state: UploadState) -> None:
        stamped = state.model_copy(update={"updated_at": self.clock()})
        write_text_atomic(self.state_file(upload_id), stamped.model_dump_json())

    @contextlib.contextmanager
    def appending(self, upload: Upload, offset: int) -> Iterator[BinaryIO]:
        """The part file open at ``offset`` for one PATCH; a second PATCH of the same upload meanwhile is refused
        (409), and so is an offset that is not the upload's (tus: the client asks HEAD and resumes there)."""
        with self.part(upload.id).open("r+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UploadError(409, "this upload is being written by another request") from None
            current = os.fstat(handle.fileno()).st_size
            if offset != current:
                raise UploadError(409, f"Upload-Offset {offset} is not the upload's offset {current}")
            handle.seek(offset)
            try:
                yield handle
            finally:
                handle.flush()
                os.fsync(handle.fileno())

    def discard_bytes(self, upload_id: str) -> None:
        """The upload's media files (its bytes, captions, scratch folder); its record and state stay, so the admin
        still shows what became of it."""
        self.part(upload_id).unlink(missing_ok=True)
        self.captions(upload_id).unlink(missing_ok=True)
        shutil.rmtree(self.work(upload_id), ignore_errors=True)

    def remove(self, upload_id: str) -> None:
        """Every file of the upload."""
        self.discard_bytes(upload_id)
        self.record(upload_id).unlink(missing_ok=True)
        self.state_file(upload_id).unlink(missing_ok=True)

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = (path.name.removesuffix(".json") for path in self.root.glob("*.json"))
        return sorted((name for name in found if ID_PATTERN.fullmatch(name)), key=self._created, reverse=True)

    def expires_at(self, upload_id: str, hours: float) -> float:
        """When an unfinished upload is removed: ``hours`` after its last byte (or its creation)."""
        return self._touched(upload_id) + hours * 3600

    def expire(self, hours: float) -> list[str]:
        """Remove every upload untouched for ``hours`` (no byte received, no progress reported: an unfinished
        upload given up, a transcode whose process died, an ended one whose outcome was shown) and tickets never
        used; returns the uploads removed."""
        now = self.clock()
        removed = []
        for upload_id in self.ids():
            if self.expires_at(upload_id, hours) <= now:
                self.remove(upload_id)
                removed.append(upload_id)
        if self.tickets.is_dir():
            for path in self.tickets.iterdir():
                if path.stat().st_mtime + hours * 3600 <= now:
                    path.unlink(missing_ok=True)
        return removed

    def _touched(self, upload_id: str) -> float:
        paths = (self.part(upload_id), self.state_file(upload_id), self.record(upload_id))
        times = [path.stat().st_mtime for path in paths if path.exists()]
        return max(times, default=0.0)

    def _created(self, upload_id: str) -> float:
        try:
            return self.record(upload_id).stat().st_mtime
        except FileNotFoundError:
            return 0.0
