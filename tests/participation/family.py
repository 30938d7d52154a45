"""Shared helpers for the family tests: a site with a sealing key, photos that pass or fail the checks."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import SecretStr

from streamkit.config.settings import ParticipationSettings, Settings, WebSettings
from streamkit.participation.sealed import new_key

KEY = new_key()
# Personal data no page, log, feed or stored byte may show in clear: unusual enough to be found only where leaked.
FAMILY_NAME = "欧阳澈蓁"
FAMILY_PHONE = "13987650123"
CLAIMANT = "司马黛琳"
CLAIMANT_CONTACT = "15812349876"


def family_settings(
    tmp_path: Path, *, keys: tuple[str, ...] = (KEY,), database_url: str = "", **participation: object
) -> Settings:
    url = database_url or f"sqlite:///{tmp_path / 'site.db'}"
    web = WebSettings.model_validate({"database_url": url, "media_dir": tmp_path / "media", "secure_cookies": False})
    fields: dict[str, object] = {
        "data_keys": [SecretStr(k) for k in keys],
        "private_dir": tmp_path / "private",
        "photo_set_min": 2,
        "request_rate_limit": "100 per hour",
        **participation,
    }
    return Settings(web=web, participation=ParticipationSettings.model_validate(fields))


def sharp_photo(seed: int, size: tuple[int, int] = (1200, 1000)) -> bytes:
    """A busy picture (grey noise with a gradient) that passes the photo checks."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(40, 215, (size[1], size[0]), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def blurred_photo() -> bytes:
    """A smooth gradient: big enough, but far below the sharpness threshold."""
    ramp = np.tile(np.linspace(60, 190, 1200, dtype=np.float32), (1000, 1)).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(ramp).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def sweep_form(token: str, **changes: str) -> dict[str, str]:
    from datetime import date, timedelta

    data = {
        "csrf_token": token,
        "name": FAMILY_NAME,
        "relation": "孙女",
        "phone": "+86 139-8765-0123",
        "preferred_date": (date.today() + timedelta(days=10)).isoformat(),
        "wishes": "请替我们献上一束白菊。",
        "consent": "y",
    }
    return {k: v for k, v in (data | changes).items() if v is not None}
