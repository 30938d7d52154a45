"""The upload folder: stale uploads expire whatever state they were left in, live ones stay; tickets are used once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from streamkit.uploads.folder import Ticket, Upload, UploadError, UploadFolder, UploadState

HOUR = 3600.0
NOW = 1_900_000_000.0


def upload(upload_id: str, user: str = "archivist") -> Upload:
    return Upload(id=upload_id, length=100, filename="a.mp4", title="a", user=user, created_at=NOW)


def age(folder: UploadFolder, upload_id: str, hours: float) -> None:
    """Make every file of the upload look last touched ``hours`` ago."""
    when = NOW - hours * HOUR
    for path in (folder.part(upload_id), folder.record(upload_id), folder.state_file(upload_id)):
        if path.exists():
            os.utime(path, (when, when))


def test_stale_uploads_expire_and_recent_ones_stay(tmp_path: Path) -> None:
    folder = UploadFolder(tmp_path, clock=lambda: NOW)
    stale, fresh, stuck = "a" * 32, "b" * 32, "c" * 32
    for upload_id in (stale, fresh, stuck):
        folder.create(upload(upload_id))
        with folder.appending(folder.load(upload_id), 0) as handle:
            handle.write(b"x" * 10)
    folder.set_state(stuck, UploadState(status="transcoding", progress=0.4))  # its process died
    folder.work(stuck).mkdir()
    age(folder, stale, 25)
    age(folder, fresh, 23)
    age(folder, stuck, 30)
    assert folder.expires_at(fresh, 24) == pytest.approx(NOW + HOUR)
    assert sorted(folder.expire(24)) == sorted([stale, stuck])
    assert folder.ids() == [fresh] and folder.offset(fresh) == 10
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [f"{fresh}.part", f"{fresh}.json", f"{fresh}.state.json"]
    )


def test_a_ticket_is_used_once_and_only_by_its_user(tmp_path: Path) -> None:
    folder = UploadFolder(tmp_path, clock=lambda: NOW)
    ticket = folder.add_ticket(Ticket(id="d" * 32, title="t", user="archivist", created_at=NOW), b"WEBVTT\n")
    with pytest.raises(UploadError):
        folder.take_ticket(ticket.id, "someone else")
    taken = folder.take_ticket(ticket.id, "archivist")
    with pytest.raises(UploadError):
        folder.take_ticket(ticket.id, "archivist")
    made = folder.create(upload("e" * 32), taken)
    assert Path(made.captions) == folder.captions("e" * 32) and folder.captions("e" * 32).read_bytes() == b"WEBVTT\n"


def test_ids_that_are_not_ours_are_unknown(tmp_path: Path) -> None:
    folder = UploadFolder(tmp_path)
    folder.create(upload("f" * 32))
    for bad in ("../" + "f" * 29, "F" * 32, "f" * 31):
        with pytest.raises(UploadError) as raised:
            folder.load(bad)
        assert raised.value.status == 404
    with pytest.raises(UploadError):
        folder.load("f" * 32, user="someone else")
