"""probe(): ffprobe JSON parsed once into MediaInfo; bad files raise MediaError naming file and cause."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from streamkit.errors import MediaError
from streamkit.media.probe import parse_probe_json, probe, probe_argv
from streamkit.media.samples import SampleSet
from tests.conftest import run_cli

PHONE_JSON = {
    "streams": [
        {
            "index": 0,
            "codec_name": "h264",
            "codec_type": "video",
            "width": 1920,
            "height": 1080,
            "r_frame_rate": "30/1",
            "avg_frame_rate": "30000/1001",
            "time_base": "1/90000",
            "pix_fmt": "yuv420p",
            "duration": "12.345000",
            "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}],
        },
        {
            "index": 1,
            "codec_name": "aac",
            "codec_type": "audio",
            "sample_rate": "44100",
            "channels": 1,
            "channel_layout": "mono",
            "duration": "12.300000",
        },
        {"index": 2, "codec_name": "mjpeg", "codec_type": "video", "disposition": {"attached_pic": 1}},
    ],
    "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "12.345000", "size": "1234"},
}


def test_parse_recorded_phone_clip() -> None:
    info = parse_probe_json(Path("phone.mp4"), PHONE_JSON)
    assert info.duration_ms == 12345
    assert len(info.video) == 1  # the cover art is not a video stream
    video = info.video[0]
    assert video.fps == Fraction(30000, 1001)
    assert video.is_variable_frame_rate
    assert video.rotation == 90
    assert video.display_size == (1080, 1920)
    assert info.audio[0].sample_rate == 44100 and info.audio[0].channels == 1
    assert info.has_audio and info.size_bytes == 1234


def test_parse_without_format_duration_uses_streams() -> None:
    data = {"streams": PHONE_JSON["streams"][:2], "format": {"format_name": "mp4"}}
    assert parse_probe_json(Path("x"), data).duration_ms == 12345


@pytest.mark.parametrize(
    ("seconds", "refused"), [("86400", False), ("86400.5", True), ("4294967.28", True), ("-1", True)]
)
def test_absurd_durations_are_refused(seconds: str, refused: bool) -> None:
    data = {"streams": PHONE_JSON["streams"][:2], "format": {"format_name": "mp4", "duration": seconds}}
    if not refused:
        assert parse_probe_json(Path("x"), data).duration_ms == 86_400_000
        return
    with pytest.raises(MediaError, match="a damaged or forged header"):
        parse_probe_json(Path("x"), data)


def test_probe_argv_is_json_and_guards_dash_names() -> None:
    assert probe_argv(Path("-odd.mp4"), "ffprobe") == [
        "ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", "-odd.mp4",
    ]  # fmt: skip


@pytest.mark.slow
def test_probe_real_samples(samples: SampleSet) -> None:
    by_name = {p.name: probe(p) for p in samples.clips}
    gate = by_name["memorial-gate.mp4"]
    assert gate.video[0].fps == 25 and gate.audio[0].sample_rate == 48000 and gate.audio[0].channels == 2
    assert abs(gate.duration_ms - 3000) <= 50
    assert not by_name["cypress-path.mp4"].has_audio
    phone = by_name["phone-portrait.mp4"].video[0]
    assert phone.rotation == 90 and phone.display_size == (180, 320)
    assert by_name["wreath-vfr.mp4"].video[0].is_variable_frame_rate
    assert by_name["memorial-hall.mp4"].video[0].width == 240
    narration = probe(samples.narration)
    assert not narration.has_video and narration.has_audio and narration.duration_ms > 5000


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"nope\.mp4: file not found$"):
        probe(tmp_path / "nope.mp4")


def test_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(MediaError, match=r"empty\.mp4: file is empty \(0 bytes\)$"):
        probe(empty)


def test_folder_is_not_media(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="is a folder"):
        probe(tmp_path)


@pytest.mark.slow
def test_corrupt_file(tmp_path: Path, samples: SampleSet) -> None:
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(MediaError) as caught:
        probe(corrupt)
    assert str(caught.value).startswith(f"{corrupt}: not a readable media file (")
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(samples.clips[0].read_bytes()[:2000])
    with pytest.raises(MediaError, match="not a readable media file"):
        probe(truncated)


@pytest.mark.slow
def test_probe_cli_reports_each_bad_file_and_goes_on(tmp_path: Path, samples: SampleSet) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    done = run_cli(["probe", str(empty), str(samples.clips[3])])
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: {empty}: file is empty (0 bytes)"
    assert "rotated 90°" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_an_unchanged_file_is_not_probed_again(
    tmp_path: Path, samples: SampleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second probe of a file asked to remember reads ffprobe's kept report; a changed file, or a damaged
    report, is probed again; a failed probe keeps nothing, nor does one not asked to remember."""
    import importlib
    import os
    import shutil

    probe_module = importlib.import_module("streamkit.media.probe")  # the package exports the function as `probe`

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    clip = tmp_path / "clip.mp4"
    shutil.copy(samples.clips[0], clip)
    runs: list[str] = []
    real_run = probe_module.run_tool

    def counting(argv: list[str], **kwargs: float) -> object:
        runs.append(argv[-1])
        return real_run(argv, **kwargs)

    monkeypatch.setattr(probe_module, "run_tool", counting)
    first = probe(clip)
    assert probe(clip) == first and len(runs) == 2 and not (tmp_path / "cache").exists()  # not asked to remember
    assert probe(clip, remember=True) == first and probe(clip, remember=True) == first and len(runs) == 3
    shutil.copy(samples.clips[3], clip)  # another video under the same name
    changed = probe(clip, remember=True)
    assert len(runs) == 4 and changed.video[0].rotation == 90 != first.video[0].rotation
    reports = list((tmp_path / "cache" / "streamkit" / "probes").glob("*.json"))
    assert len(reports) == 2
    for k, damage in enumerate(["{not json", '{"streams": [5]}', "[]"]):
        for report in reports:
            report.write_text(damage, encoding="utf-8")
        assert probe(clip, remember=True) == changed and len(runs) == 5 + k
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(samples.clips[0].read_bytes()[:2000])
    for _ in range(2):
        with pytest.raises(MediaError, match="not a readable media file"):
            probe(broken, remember=True)
    assert len(runs) == 9 and len(os.listdir(tmp_path / "cache" / "streamkit" / "probes")) == 2
