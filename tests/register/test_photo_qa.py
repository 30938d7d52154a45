"""The photo checks on generated tomb photos: each fault scored and named, EXIF orientation applied, duplicates."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from streamkit.register.photo_checks import PhotoChecks
from streamkit.register.photo_qa import _decode_grey, measure_photo, measure_photos, near_duplicates, orient
from tests.register.tomb_photos import blurred, bright, dark, save, save_turned, stone

CHECKS = PhotoChecks(min_side=400)


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def test_each_fault_is_named_and_its_score_kept(tmp_path: Path) -> None:
    picture = stone(1)
    photos = {
        "sharp": save(picture, tmp_path / "sharp.jpg"),
        "blurred": save(blurred(picture), tmp_path / "blurred.jpg"),
        "dark": save(dark(picture), tmp_path / "dark.jpg"),
        "bright": save(bright(picture), tmp_path / "bright.jpg"),
        "small": save(stone(2, 320, 240), tmp_path / "small.png"),
        "not a photo": tmp_path / "notes.jpg",
    }
    photos["not a photo"].write_text("not a picture")
    scores = {kind: measure_photo(path, CHECKS) for kind, path in photos.items()}
    assert {kind: s.problems(CHECKS) for kind, s in scores.items()} == {
        "sharp": (),
        "blurred": ("blurred",),
        "dark": ("blurred", "dark"),  # a black picture has no edges either
        "bright": ("blurred", "bright"),
        "small": ("blurred", "small"),  # enlarged to the measuring size, its edges soften
        "not a photo": ("unreadable",),
    }
    assert scores["sharp"].sharpness > 10 * scores["blurred"].sharpness
    assert scores["dark"].dark_share > 0.9 and scores["sharp"].dark_share < 0.05
    assert (scores["small"].width, scores["small"].height) == (320, 240)
    # The thresholds decide, the scores stay: a laxer setting passes the blurred photo.
    assert scores["blurred"].problems(CHECKS.model_copy(update={"min_sharpness": 0.0})) == ()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_is_applied_as_pillow_does(orientation: int) -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = io.BytesIO()
    Image.fromarray(grey).save(stored, format="PNG", exif=exif.tobytes())
    stored.seek(0)
    with Image.open(stored) as image:
        expected = np.array(ImageOps.exif_transpose(image))
    assert np.array_equal(orient(grey, orientation), expected)


def test_a_turned_photo_is_measured_upright(tmp_path: Path) -> None:
    picture = stone(3)
    upright = measure_photo(save(picture, tmp_path / "upright.jpg"), CHECKS)
    turned = measure_photo(save_turned(picture, tmp_path / "turned.jpg"), CHECKS)
    assert (turned.width, turned.height, turned.orientation) == (640, 480, 6)
    assert _distance(turned.dhash, upright.dhash) <= 4
    sideways = measure_photo(save(np.rot90(picture, 1), tmp_path / "sideways.jpg"), CHECKS)
    assert _distance(sideways.dhash, upright.dhash) > 12  # the hash does not see through a turn: EXIF matters


def test_large_jpegs_are_decoded_at_a_reduced_size(tmp_path: Path) -> None:
    path = save(stone(4, 2600, 1950), tmp_path / "large.jpg")
    assert _decode_grey(path.read_bytes(), 2600, "JPEG", 640).shape == (488, 650)  # a quarter: still ≥ 640
    assert _decode_grey(path.read_bytes(), 2600, "JPEG", 1000).shape == (975, 1300)  # a half
    scores = measure_photo(path, PhotoChecks())
    assert (scores.width, scores.height) == (2600, 1950) and scores.problems(PhotoChecks()) == ()


def test_near_duplicates_within_the_distance_point_to_the_earliest(tmp_path: Path) -> None:
    table = [(1, "ffff000000000000"), (2, "ffff000000000003"), (3, "0000ffff00000000"), (4, "ffff00000000000f")]
    assert near_duplicates(table, 2) == {2: 1, 4: 2}  # 4 is 4 bits from 1, 2 bits from 2
    assert near_duplicates(table, 4) == {2: 1, 4: 1}
    assert near_duplicates(table, 0) == {}
    first, again = save(stone(5), tmp_path / "a.jpg"), save(stone(5), tmp_path / "b.jpg", quality=60)
    other = save(stone(6), tmp_path / "c.jpg")
    hashes = [s.dhash for s in measure_photos([first, again, other], CHECKS, jobs=2)]
    assert near_duplicates(enumerate(hashes), CHECKS.duplicate_distance) == {1: 0}
