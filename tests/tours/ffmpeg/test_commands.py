"""The ffmpeg engine's commands as data: the one-graph render, a chunk, the mux, the poster branch."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from streamkit.media.commands import FFmpegCommand
from streamkit.media.loudness import Loudness, MeasuredLoudness
from streamkit.tours.ffmpeg import commands
from streamkit.tours.ffmpeg.posters import PosterFrames
from streamkit.tours.inputs import Overlay, TourInputs
from streamkit.tours.job import Encoding
from streamkit.tours.spec import Ducking
from streamkit.tours.timeline import Chunk, Timeline, build_timeline, plan_chunks
from tests.tours.specs import MEDIA, make_tour

ENCODING = Encoding(crf=20, preset="veryfast", audio_bitrate="160k", threads=4)
SCRIPT = Path("/w/graph.ffgraph")


def _chunk(
    plan: Timeline, chunk: Chunk, inputs: TourInputs, output: Path, poster: PosterFrames | None = None
) -> FFmpegCommand:
    return commands.chunk_video_command(
        plan, chunk, inputs, output, encoding=ENCODING, script=SCRIPT, ffmpeg_bin="ffmpeg", poster=poster
    )


def _inputs() -> TourInputs:
    return TourInputs(
        ducking=Ducking(),
        ken_burns=0.12,
        stills={0: Path("/c/title.png"), 2: Path("/c/a.png"), 3: Path("/c/b.png"), 5: Path("/c/outro.png")},
        burn_ass=Path("/w/captions.ass"),
        fonts_dir=Path("/fonts"),
        soft_srt=Path("/w/captions.srt"),
        metadata=Path("/w/chapters.ffmeta"),
        lower_thirds=(Overlay(path=Path("/c/lt.png"), start_ms=5000, end_ms=6000, x=40, y=560),),
    )


def _command() -> tuple[str, list[str]]:
    plan = build_timeline(make_tour(), MEDIA)
    inputs = dataclasses.replace(_inputs(), lower_thirds=())
    loudness = Loudness(-16.0, -1.5, 11.0, MeasuredLoudness(-20.5, -3.2, 4.0, -30.5))
    command = commands.tour_command(
        plan, inputs, Path("/out/t.mp4"), encoding=ENCODING, loudness=loudness, script=SCRIPT, ffmpeg_bin="ffmpeg"
    )
    argv = command.argv
    return argv[argv.index("-filter_complex") + 1], argv


def test_tour_command_inputs_and_outputs() -> None:
    _, argv = _command()
    assert argv[:8] == ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-progress", "pipe:1", "-nostats", "-loglevel"]
    joined = " ".join(argv)
    assert joined.count("-threads 1 -ss 1.000 -t 3.040000 -i /media/gate.mp4") == 2  # pictures and sound apart
    assert "-f rawvideo -pixel_format yuv444p -video_size 320x180 -framerate 25 -i /c/title.png -threads 1" in joined
    assert "-stream_loop -1 -i /media/bed.m4a" in " ".join(argv)
    tail = argv[argv.index("-map") :]
    assert tail[:6] == ["-map", "[vout]", "-map", "[aout]", "-map", "9:s"]
    for option in (["-c:v", "libx264"], ["-profile:v", "high"], ["-pix_fmt", "yuv420p"], ["-c:s", "mov_text"],
                   ["-ar", "48000"], ["-map_chapters", "10"], ["-movflags", "+faststart"]):  # fmt: skip
        assert " ".join(option) in " ".join(tail)
    assert argv[-1] == "/out/t.mp4"


def test_tour_graph_video_chain() -> None:
    text, _ = _command()
    parts = text.split(";")
    assert parts[0] == (
        "[0:v]format=yuv420p,loop=loop=50:size=1:start=0,setpts=N/FRAME_RATE/TB,fps=25,setsar=1,"
        "format=yuv420p,tpad=stop=-1:stop_mode=clone,trim=end_frame=50,setpts=PTS-STARTPTS[s0]"
    )
    assert parts[1].startswith("[1:v]fps=25,scale=320:180:force_original_aspect_ratio=decrease,pad=320:180:")
    assert "perspective=x0='(W-W/(1+0.12*(in/74)))/2'" in parts[2] and "eval=frame" in parts[2]
    # xfade sees only the 12 frames two shots share: the title's tail and the clip's head
    assert "[s1]split=3[h1in][b1in][t1in]" in parts
    assert "[h1in]trim=start_frame=0:end_frame=12,setpts=PTS-STARTPTS[h1]" in parts
    assert "[b1in]trim=start_frame=12:end_frame=63,setpts=PTS-STARTPTS[b1]" in parts
    assert "[t0][h1]xfade=transition=fade:duration=0.480000:offset=0,format=yuv420p[f1]" in parts
    # a hard cut (shot 4) needs no xfade; the pieces are joined in order and stamped in frames
    assert "[b0][f1][b1][f2][b2][f3][b3][b4][f5][b5]concat=n=10:v=1:a=0,settb=1/25,setpts=N[chain]" in parts
    assert not any("xfade" in p and "[h4]" in p for p in parts)
    assert "[chain]subtitles=filename=\\'/w/captions.ass\\':fontsdir=\\'/fonts\\'[subbed]" in parts


def test_tour_graph_audio_mix_ducks_and_normalises() -> None:
    text, _ = _command()
    parts = text.split(";")
    total = 13280 * 48
    assert f"anullsrc=r=48000:cl=stereo,atrim=end_sample={total}[silence]" in parts
    clip = next(p for p in parts if p.startswith("[6:a]"))
    assert "afade=t=in:d=0.480" in clip and "afade=t=out:st=2.520:d=0.480" in clip
    assert clip.endswith(f"adelay=delays={1520 * 48}S:all=1[c1]")
    assert "[voice]asplit=2[voice_mix][voice_key]" in parts
    assert "[music][voice_key]sidechaincompress=threshold=0.02:ratio=10:attack=20:release=350[ducked]" in parts
    assert f"[silence][c1][voice_mix][ducked]amix=inputs=4:duration=first:dropout_transition=0:normalize=0," \
           f"atrim=end_sample={total}[mix]" in parts  # fmt: skip
    # measured -20.5 LUFS, peak -3.2 dBTP: +4.5 dB puts the peak at +1.3, 3.8 dB over the limiter's -2.5
    assert parts[-1] == "[mix]volume=4.50dB,alimiter=limit=0.7499:level=disabled:latency=1[aout]"


def test_chunk_command_builds_only_its_shots_and_keeps_tour_time() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    chunks = plan_chunks(plan, 100)
    # each cut is the first frame after a crossfade in (or a hard cut): little of a chunk's first shot is wasted
    assert [(c.start_frame, c.end_frame, c.first_shot, c.last_shot) for c in chunks] == [
        (0, 114, 0, 2), (114, 239, 2, 3), (239, 332, 4, 5)
    ]  # fmt: skip
    command = _chunk(plan, chunks[1], _inputs(), Path("/w/chunk-0001.mp4"))
    argv = command.argv
    assert command.expected_duration_ms == 5000  # 125 frames at 25 fps
    inputs = [argv[i + 1] for i, a in enumerate(argv) if a == "-i"]
    assert inputs == ["/c/a.png", "/c/b.png", "/c/lt.png"]  # no clip, no title, no outro, no sound
    parts = argv[argv.index("-filter_complex") + 1].split(";")
    # the chunk's first shot starts whole (its crossfade with the clip is in the previous chunk)
    assert "[s2]split=2[b2in][t2in]" in parts
    assert "[b2][f3][b3]concat=n=3:v=1:a=0,settb=1/25,setpts=N[chain]" in parts
    # trimmed to frames 114..239 of the tour (counted from the first shot, frame 101), stamped with tour time for
    # the overlays and libass, restarted for x264
    assert "[chain]trim=start_frame=13:end_frame=138,setpts=N+114[window]" in parts
    assert "[window][2:v]overlay=40:560:enable='between(t,5.000,6.000)'[lt0]" in parts  # cropped, placed
    # the other chunks do not open a lower-third they never show (one starting on the chunk's last frame would be)
    for other in (chunks[0], chunks[2]):
        other_argv = _chunk(plan, other, _inputs(), Path("/w/c.mp4")).argv
        assert "/c/lt.png" not in other_argv
    late = dataclasses.replace(_inputs(), lower_thirds=(Overlay(path=Path("/c/lt.png"), start_ms=4520, end_ms=6000),))
    assert "/c/lt.png" in _chunk(plan, chunks[0], late, Path("/w/c.mp4")).argv
    assert parts[-1] == "[subbed]format=yuv420p,setpts=PTS-STARTPTS[vout]"
    tail = " ".join(argv[argv.index("-map") :])
    assert "-c:v libx264 -profile:v high -pix_fmt yuv420p -preset veryfast -crf 20 -g 50 -r 25" in tail
    assert tail.endswith("-threads 4 -x264-params mbtree=0:stitchable=1 -an -f mp4 /w/chunk-0001.mp4")


def test_mux_copies_chunks_and_stem_with_captions_and_chapters() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    command = commands.join_command(
        plan, _inputs(), Path("/w/chunks.ffconcat"), Path("/w/sound.m4a"), Path("/o/t.mp4"), ffmpeg_bin="ffmpeg"
    )
    argv = command.argv
    assert command.scripts == () and "-filter_complex" not in argv  # nothing is decoded or filtered
    joined = " ".join(argv)
    assert "-f concat -safe 0 -i /w/chunks.ffconcat -i /w/sound.m4a -i /w/captions.srt -i /w/chapters.ffmeta" in joined
    tail = " ".join(argv[argv.index("-map") :])
    assert tail == (
        "-map 0:v -map 1:a -map 2:s -c:v copy -c:a copy -c:s mov_text -metadata:s:s:0 language=chi "
        "-metadata:s:s:0 title=中文字幕 -map_metadata 3 -map_chapters 3 -movflags +faststart /o/t.mp4"
    )
    listing = commands.concat_list([Path("/w/a.mp4"), Path("/w/it's.mp4")])
    assert listing == "ffconcat version 1.0\nfile '/w/a.mp4'\nfile '/w/it'\\''s.mp4'\n"


def test_poster_branch_writes_its_candidates_and_frame_zero_ahead_in_time() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    chunk = plan_chunks(plan, 100)[1]
    poster = PosterFrames((37, 90), Path("/w/posters/chunk-0001-%02d.bmp"))
    argv = _chunk(plan, chunk, _inputs(), Path("/w/chunk-0001.mp4"), poster).argv
    parts = argv[argv.index("-filter_complex") + 1].split(";")
    assert parts[-2].endswith(",setpts=PTS-STARTPTS,split=2[vout][posterin]")
    # frame 0 keeps the branch from lagging behind the picture (ffmpeg would queue frames until the next pick)
    assert parts[-1] == (
        "[posterin]setpts=PTS+86400/TB,select='if(lt(n\\,37)\\,eq(n\\,0)\\,if(lt(n\\,90)\\,eq(n\\,37)\\,eq(n\\,90)))',"
        "format=bgr24[poster]"
    )
    assert argv[-9:] == ["-map", "[poster]", "-fps_mode", "passthrough", "-c:v", "bmp", "-f", "image2",
                         "/w/posters/chunk-0001-%02d.bmp"]  # fmt: skip
    # image2 numbers the written frames 1, 2, 3: frame 0 is file 1 and is not a candidate
    assert poster.saved() == [Path("/w/posters/chunk-0001-02.bmp"), Path("/w/posters/chunk-0001-03.bmp")]
    with_zero = PosterFrames((0, 5), Path("/w/p-%02d.bmp"))
    assert with_zero.saved() == [Path("/w/p-01.bmp"), Path("/w/p-02.bmp")]
