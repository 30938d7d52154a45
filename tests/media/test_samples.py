"""Sample media: realistic variety, deterministic, and what the rest of streamkit relies on."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter, ImageOps

from streamkit.fonts import find_cjk_font
from streamkit.media.probe import probe
from streamkit.media.samples import REGISTER_SIZE, SampleSet, generate, set_display_rotation_90
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def _open(path: Path) -> Image.Image:
    with Image.open(path) as img:
        img.load()
        return img


def _sharpness(path: Path) -> float:
    gray = ImageOps.exif_transpose(_open(path)).convert("L")
    return float(np.asarray(gray.filter(ImageFilter.FIND_EDGES), dtype=np.float64).var())


def test_register_has_forty_fictional_names_with_photos(samples: SampleSet) -> None:
    with samples.register.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == REGISTER_SIZE
    assert list(rows[0]) == ["name", "born", "died", "unit", "hometown", "section", "row", "number", "photo"]
    assert len({r["name"] for r in rows}) == REGISTER_SIZE
    for row in rows:
        assert all("\u4e00" <= ch <= "\u9fff" for ch in row["name"])
        assert int(row["born"]) < int(row["died"])
        assert (samples.folder / row["photo"]).exists()
    assert len({(r["section"], r["row"], r["number"]) for r in rows}) == REGISTER_SIZE  # every tomb has its place


def test_photos_vary_and_carry_the_deliberate_faults(samples: SampleSet) -> None:
    aspects = {round(_open(p).width / _open(p).height, 2) for p in samples.photos}
    assert len(aspects) >= 3
    rotated = _open(samples.photos[1])
    assert rotated.getexif().get(0x0112) == 6
    upright = ImageOps.exif_transpose(rotated)
    assert upright.size == (rotated.height, rotated.width) and upright.height > upright.width
    sharp = [_sharpness(p) for i, p in enumerate(samples.photos[:12]) if i not in (6, 10)]
    assert _sharpness(samples.photos[6]) < min(sharp) / 3  # the blurred one
    dark = float(np.asarray(_open(samples.photos[10]).convert("L")).mean())
    normal = float(np.asarray(_open(samples.photos[0]).convert("L")).mean())
    assert dark < normal / 3  # the underexposed one


def test_logo_has_alpha(samples: SampleSet) -> None:
    logo = _open(samples.logo)
    assert logo.mode == "RGBA"
    alpha = np.asarray(logo)[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255


def test_narration_and_music(samples: SampleSet) -> None:
    parts = [probe(p).duration_ms for p in samples.narration_parts]
    whole = probe(samples.narration).duration_ms
    assert len(parts) == 3 and abs(whole - sum(parts)) < 200
    music = probe(samples.music)
    assert music.audio[0].channels == 2 and abs(music.duration_ms - 20_000) < 100


def test_same_seed_same_files_and_second_run_skips(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", width=160, height=90)
    second = generate(tmp_path / "b", width=160, height=90)
    files_a = json.loads((first.folder / "samples.json").read_text(encoding="utf-8"))["files"]
    files_b = json.loads((second.folder / "samples.json").read_text(encoding="utf-8"))["files"]
    assert files_a == files_b
    for name, digest in files_a.items():
        assert hashlib.sha256((second.folder / name).read_bytes()).hexdigest() == digest
    stamp = (first.folder / "clips" / "memorial-gate.mp4").stat().st_mtime_ns
    generate(tmp_path / "a", width=160, height=90)  # up to date: nothing rewritten
    assert (first.folder / "clips" / "memorial-gate.mp4").stat().st_mtime_ns == stamp


def test_different_seed_gives_different_register(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", width=160, height=90, seed=1)
    b = generate(tmp_path / "b", width=160, height=90, seed=2)
    assert a.register.read_text(encoding="utf-8") != b.register.read_text(encoding="utf-8")


def test_size_is_honoured_through_the_cli(tmp_path: Path) -> None:
    done = run_cli(["samples", str(tmp_path / "s"), "--size", "192x108"])
    assert done.returncode == 0, done.stderr
    assert "5 clips, 40 tomb photos" in done.stdout
    gate = probe(tmp_path / "s" / "clips" / "memorial-gate.mp4").video[0]
    assert (gate.width, gate.height) == (192, 108)


def test_odd_size_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli(["samples", str(tmp_path / "s"), "--size", "321x180"])
    assert done.returncode == 2
    assert "Invalid value for --size: 321x180: width and height must be even" in done.stderr
    assert not (tmp_path / "s").exists()


def test_rotation_patch_only_touches_the_matrix(samples: SampleSet) -> None:
    data = samples.clips[0].read_bytes()
    patched = set_display_rotation_90(data)
    assert len(patched) == len(data)
    assert sum(a != b for a, b in zip(data, patched, strict=True)) <= 36


def test_tomb_photo_text_uses_a_cjk_font() -> None:
    assert find_cjk_font() is not None, "fonts-noto-cjk must be installed (make test installs it)"
