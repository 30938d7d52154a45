"""Make an Office file (a zip) byte-stable: fixed entry times and fixed core-property dates.

python-docx and openpyxl stamp every zip entry with the time of saving, and openpyxl sets the workbook's
``modified`` date on save whatever it was given; both are rewritten here to ``stamp`` so the same inputs give the
same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
CORE = "docProps/core.xml"
_DATES = re.compile(r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def pin(data: bytes, stamp: datetime) -> bytes:
    """``data`` rewritten with every entry dated ``ZIP_EPOCH`` and the core created/modified dates set to ``stamp``."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            blob = source.read(info)
            if info.filename == CORE:
                blob = _DATES.sub(lambda m: f"{m.group(1)}{iso}{m.group(3)}", blob.decode("utf-8")).encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            fixed.create_system = 3
            target.writestr(fixed, blob)
    return out.getvalue()
