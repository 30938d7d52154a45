"""The register CSV and the YAML styles are parsed once, at the edge, into frozen models; mistakes are listed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from streamkit.config.settings import load_settings
from streamkit.errors import ConfigError
from streamkit.media.samples import SampleSet
from streamkit.overlays import OverlayStyle, load_register, load_style
from streamkit.overlays.style import styles_dirs

REPO_STYLES = Path(__file__).resolve().parents[2] / "overlays" / "styles"


def test_sample_register_loads_into_frozen_entries(samples: SampleSet) -> None:
    entries = load_register(samples.register)
    assert len(entries) == 40
    first = entries[0]
    assert first.name and isinstance(first.born, int) and isinstance(first.died, int)
    assert first.years == f"{first.born}–{first.died}"
    with pytest.raises(ValidationError):
        first.name = "x"  # type: ignore[misc]


def test_register_with_bom_blank_years_and_blank_lines(tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text("\ufeffname,born,died\n周海,,1932\n\n李成,1919,\n", encoding="utf-8")
    a, b = load_register(csv)
    assert (a.name, a.born, a.died, a.years) == ("周海", None, 1932, "?–1932")
    assert b.years == "1919–?"


def test_register_problems_are_all_reported_with_lines(tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text("name,born,died\n周海,19o8,1932\n,1920,1937\n李成,1919,1943\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_register(csv)
    lines = caught.value.lines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{csv}:2: born:")
    assert lines[1].startswith(f"{csv}:3: name:")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("naam,born\n周海,1908\n", "missing column(s) name"),
        ("name,born,rank\n周海,1908,x\n", "unknown column(s) rank"),
        ("name\n", "no entries"),
    ],
)
def test_register_header_mistakes(tmp_path: Path, content: str, message: str) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_register(csv)


def test_memorial_style_file_matches_the_model_defaults() -> None:
    """One source of truth: the shipped YAML and the model's defaults describe the same look."""
    assert load_style("memorial") == OverlayStyle()
    assert load_style(REPO_STYLES / "memorial.yaml") == OverlayStyle()


def test_style_colours_are_parsed_to_rgba() -> None:
    style = load_style()
    assert style.colours.accent == (200, 164, 90, 255)
    assert style.colours.panel[3] == 0xCC


def test_style_mistakes_are_reported_with_line_and_suggestion(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nname: bad\ncolours:\n  acent: '#FFFFFF'\n  text: white\nlower_third:\n  name_size: 3\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_style(bad)
    text = "\n".join(caught.value.lines())
    assert "bad.yaml:4: colours.acent: unknown key; did you mean 'accent'?" in text
    assert "bad.yaml:5: colours.text: 'white' is not a colour" in text
    assert "bad.yaml:7: lower_third.name_size: must be <= 1" in text


def test_unknown_style_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"known: .*memorial"):
        load_style("no-such-style")


def test_styles_dir_from_settings_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "memorial.yaml").write_text("version: 1\nname: own-memorial\n", encoding="utf-8")
    monkeypatch.setenv("STREAMKIT_OVERLAYS__STYLES_DIR", str(tmp_path))
    settings = load_settings(environ=dict(os.environ))
    assert settings.overlays.styles_dir == tmp_path
    assert styles_dirs(settings.overlays.styles_dir)[0] == tmp_path
    assert load_style("memorial", styles_dir=settings.overlays.styles_dir).name == "own-memorial"
    assert load_style("memorial").name == "memorial"


def test_publish_token_is_a_secret_kept_out_of_reprs_and_files(tmp_path: Path) -> None:
    settings = load_settings(environ={"STREAMKIT_OVERLAYS__PUBLISH_TOKEN": "tok-123456"})
    assert settings.overlays.publish_token is not None
    assert settings.overlays.publish_token.get_secret_value() == "tok-123456"
    assert "tok-123456" not in repr(settings) and "tok-123456" not in settings.model_dump_json()
    versioned = tmp_path / "streamkit.yaml"
    versioned.write_text("version: 1\noverlays:\n  publish_token: tok-123456\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="secrets do not belong in a versioned file") as caught:
        load_settings(versioned, environ={})
    assert "tok-123456" not in str(caught.value)


def test_memorial_is_available_without_the_styles_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed wheel has no repository overlays/ folder; the default style still loads (from the model)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("streamkit.overlays.style.styles_dirs", lambda styles_dir=None: (tmp_path / "none",))
    assert load_style("memorial") == OverlayStyle()
    with pytest.raises(ConfigError, match="no overlay style of that name"):
        load_style("other")
