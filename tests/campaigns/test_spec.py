"""Campaign specs: the example loads; mistakes are reported as file:line: field: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.campaigns.spec import find_campaign, load_campaign
from streamkit.errors import ConfigError
from tests.campaigns.conftest import QINGMING

GOOD = QINGMING.read_text(encoding="utf-8")


def test_the_qingming_example_holds_the_notice(tmp_path: Path) -> None:
    campaign = load_campaign(QINGMING)
    assert (str(campaign.window.start), str(campaign.window.end)) == ("2020-02-10", "2020-04-10")
    quotas = {q.id: q for q in campaign.quotas}
    assert quotas["hall-items"].target == 10 and quotas["relatives"].target == 5
    assert str(quotas["relatives"].deadline) == "2020-03-15" and str(quotas["summary"].deadline) == "2020-04-11"
    assert quotas["media-reports"].target == 10 and quotas["tomb-photos"].target == "all"
    assert campaign.owner_of("南山陵园") == "南山区" and campaign.owner_of("外区陵园") is None


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_campaign(path)
    return caught.value.lines()


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_an_unknown_kind_is_named_with_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("kinds: [media_report]", "kinds: [media_reports]")
    found = problems(tmp_path, text)
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path / 'bad.yaml'}:{line_of(text, 'media_reports')}: quotas[2].kinds: ")
    assert "unknown item kind 'media_reports'; known: " in found[0]


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        GOOD.replace("target: 5", "target: 0")
        .replace("cemeteries: [北山陵园]", "cemeteries: [南山陵园]")
        .replace("deadline: 2020-04-11", "deadline: 11 April")
        .replace("kinds: [tour]\n    target: 1", "kinds: [tour]\n    target: 1\n    tarrget: 2")
    )
    found = problems(tmp_path, text)
    assert any(f":{line_of(text, 'target: 0')}: quotas[1].target: " in p and "must be >= 1" in p for p in found)
    assert any("districts: " in p and "'南山陵园' belongs to both 南山区 and 北山区" in p for p in found)
    assert any(f":{line_of(text, '11 April')}: quotas[6].deadline: " in p for p in found)
    assert any(
        f":{line_of(text, 'tarrget')}: quotas[5].tarrget: unknown key; did you mean 'target'?" in p for p in found
    )


def test_all_needs_a_kind_that_knows_its_whole(tmp_path: Path) -> None:
    text = GOOD.replace("kinds: [media_report]\n    target: 10", "kinds: [media_report]\n    target: all")
    (found,) = problems(tmp_path, text)
    assert "quotas[2]: target 'all' needs kinds that know their whole (tomb_photo)" in found


def test_a_campaign_is_found_by_slug_or_refused_in_one_line(tmp_path: Path) -> None:
    assert find_campaign("qingming-2020", QINGMING.parent).slug == "qingming-2020"
    with pytest.raises(ConfigError) as caught:
        find_campaign("qingming-2021", QINGMING.parent)
    assert caught.value.lines() == [f"{QINGMING.parent}: no campaign 'qingming-2021' (known: qingming-2020)"]
    (tmp_path / "renamed.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(ConfigError, match="slug 'qingming-2020' differs from the file name 'renamed'"):
        find_campaign("renamed", tmp_path)
