"""Start an upload's transcode: as an RQ job on the render farm when the settings say so, else in a thread here.

The farm's workers (``streamkit farm worker``) take it from the same queue as tour steps; they must see the upload
folder, the media folder and the database the site uses.
"""

from __future__ import annotations

import logging
import threading

from streamkit.config.settings import FarmSettings
from streamkit.uploads.transcode import TranscodeJob, transcode

log = logging.getLogger(__name__)
KEPT_SECONDS = 7 * 24 * 3600


def start_transcode(job: TranscodeJob, farm: FarmSettings | None) -> str:
    """Start the transcode; returns where it runs ("farm" or "thread")."""
    if farm is not None:
        from streamkit.farm.queue import connect, tour_queue

        # no retries: a file that fails to transcode fails the same way on any worker; the description keeps the
        # job's arguments (the database URL) out of the worker's log
        tour_queue(connect(farm)).enqueue(
            transcode,
            job,
            job_id=f"upload-{job.upload_id}",
            description=f"transcode upload {job.upload_id}",
            job_timeout=farm.job_timeout_seconds,
            result_ttl=KEPT_SECONDS,
            failure_ttl=KEPT_SECONDS,
        )
        return "farm"
    threading.Thread(target=_run_here, args=(job,), name=f"upload-{job.upload_id}", daemon=True).start()
    return "thread"


def _run_here(job: TranscodeJob) -> None:
    try:
        transcode(job)
    except Exception:  # the upload's state says it failed; the site's log gets the details
        log.exception("upload %s: transcode failed", job.upload_id)
