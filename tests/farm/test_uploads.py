"""An admin upload transcoded on the farm: the site enqueues the job, a real worker process runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rq.job import Job

from streamkit.archive.store import ArchiveStore
from streamkit.config.settings import Settings
from streamkit.web.accounts import add_user
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.farm.conftest import Farm
from tests.web.conftest import ADMIN, SECRET, STAFF, sign_in
from tests.web.uploads_helpers import Tus, make_video, upload_settings

pytestmark = pytest.mark.slow


def test_an_upload_is_transcoded_by_a_farm_worker(farm: Farm, tmp_path: Path) -> None:
    base = upload_settings(tmp_path, transcode_on_farm=True)
    app = create_app(Settings(web=base.web, farm=farm.settings), secret_key=SECRET)
    store: ArchiveStore = app.extensions[STORE_KEY]
    try:
        add_user(store, *STAFF, roles=ADMIN)
        client = app.test_client()
        assert sign_in(client).status_code == 302  # type: ignore[attr-defined]
        tus = Tus(client)
        farm.start("one")
        video = make_video(tmp_path / "wreath.mp4", seconds=2.0)
        url = tus.send(video.read_bytes(), 1 << 20, filename="wreath.mp4", title="献花仪式")
        state = tus.wait(url)
        assert state["status"] == "published", state
        job = Job.fetch(f"upload-{url.rpartition('/')[2]}", connection=farm.connection)
        assert job.worker_name == "one" and job.get_status() == "finished"
        assert "site.db" not in job.description and job.description.startswith("transcode upload")
        entry = store.entry(int(state["entry_url"].rpartition("/")[2]), include_unpublished=True)
        assert entry is not None and entry.title == "献花仪式" and entry.hls_file
        assert (store.media_dir / entry.media_file).is_file()
    finally:
        store.dispose()
