"""The farm's queue when Redis is not there: one line, and never the password of its URL."""

from __future__ import annotations

import pytest

from streamkit.config.settings import FarmSettings
from streamkit.farm.queue import FarmError, connect, redacted


def test_an_unreachable_redis_is_one_line_without_its_password() -> None:
    settings = FarmSettings(redis_url="redis://farm:s3cret-pass@127.0.0.1:1/0")
    with pytest.raises(FarmError) as failed:
        connect(settings)
    message = str(failed.value)
    assert "s3cret-pass" not in message and "\n" not in message
    assert "redis://127.0.0.1:1/0" in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw@host:6379/0", "redis://host:6379/0"),
        ("redis://user:p@ss@host/1", "redis://host/1"),
        ("redis://host:6379/0", "redis://host:6379/0"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock"),
    ],
)
def test_redacted_drops_the_password_only(url: str, shown: str) -> None:
    assert redacted(url) == shown
