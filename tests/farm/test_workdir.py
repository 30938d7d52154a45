"""A chunk's name in the shared work folder: its command and what the command reads, not where a render ran."""

from __future__ import annotations

from pathlib import Path

from streamkit.farm.workdir import chunk_key
from streamkit.media.commands import FFmpegCommand, ScriptFile


def chunk_command(work: Path, clip: Path) -> FFmpegCommand:
    """A chunk reading ``clip`` and a caption file of its render's scratch folder, through a graph script."""
    graph = f"[0:v]subtitles=filename='{work / 'captions.ass'}'[vout]"
    script = ScriptFile(work / "chunk-0000.ffgraph", graph)
    argv = ["ffmpeg", "-i", str(clip), "-filter_complex_script", str(script.path), str(work / "chunk-0000.mp4")]
    return FFmpegCommand(argv, 3000, (script,))


def scratch(folder: Path, captions: str) -> Path:
    folder.mkdir()
    (folder / "captions.ass").write_text(captions, encoding="utf-8")
    return folder


def test_the_same_chunk_of_two_renders_has_one_name(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"picture")
    first, second = scratch(tmp_path / "one", "烈士"), scratch(tmp_path / "two", "烈士")
    (second / "chunk-0003.ffgraph").write_text("another chunk's graph", encoding="utf-8")  # not named: no part of it
    assert chunk_key(chunk_command(first, clip), first) == chunk_key(chunk_command(second, clip), second)


def test_a_changed_input_or_scratch_file_changes_the_name(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"picture")
    work = scratch(tmp_path / "work", "烈士")
    before = chunk_key(chunk_command(work, clip), work)
    (work / "captions.ass").write_text("英烈", encoding="utf-8")
    after_captions = chunk_key(chunk_command(work, clip), work)
    clip.write_bytes(b"another picture")
    after_clip = chunk_key(chunk_command(work, clip), work)
    assert len({before, after_captions, after_clip}) == 3
