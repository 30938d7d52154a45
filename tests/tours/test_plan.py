"""Pure planning: the timeline, caption text, and the ffmpeg command as data (no ffmpeg runs here)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import pytest

from streamkit.config.loader import SpecModel
from streamkit.media import tour_graph as graph
from streamkit.media.probe import AudioStream, MediaInfo, VideoStream
from streamkit.tours.captions import ass, escape, ffmetadata, srt, wrap
from streamkit.tours.spec import Tour
from streamkit.tours.timeline import CaptionCue, Chapter, build_timeline, plan_chunks, split_sentences


def clip_info(path: Path, seconds: float, audio: bool = True) -> MediaInfo:
    video = VideoStream(0, "h264", 320, 180, Fraction(25), Fraction(25), Fraction(1, 12800), 0, "yuv420p", None)
    sound = (AudioStream(1, "aac", 48000, 2, "stereo", None),) if audio else ()
    return MediaInfo(path, "mp4", round(seconds * 1000), 1000, (video,), sound)


def make_tour(**extra: object) -> Tour:
    data: dict[str, object] = {
        "version": 1,
        "media_root": "/media",
        "output": {"size": "320x180", "fps": "25"},
        "defaults": {"transition": {"name": "fade", "duration": 0.5}},
        "title": {"lines": ["标题"], "duration": 2},
        "stops": [
            {"title": "大门", "clip": {"path": "gate.mp4", "start": 1, "end": 4}, "captions": "第一句。第二句话！"},
            {
                "title": "墓区",
                "photos": {"paths": ["a.jpg", "b.jpg"], "seconds": 3},
                "transition": {"name": "cut"},
                "narration": {"path": "n.m4a", "offset": 0.5},
                "lower_third": {"name": "王", "start": 1, "duration": 2},
            },
            {"title": "小径", "clip": {"path": "path.mp4"}},
        ],
        "outro": {"lines": ["谢谢"], "duration": 2},
        "music": [{"path": "bed.m4a"}],
    }
    data.update(extra)
    return Tour.model_validate(data)


MEDIA = {
    Path("/media/gate.mp4"): clip_info(Path("/media/gate.mp4"), 10),
    Path("/media/path.mp4"): clip_info(Path("/media/path.mp4"), 2.2, audio=False),
}


def test_timeline_places_shots_with_xfade_overlaps() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    assert [(s.kind, s.start_frame, s.frames, s.overlap_in, s.transition_in) for s in plan.shots] == [
        ("card", 0, 50, 0, "cut"),
        ("clip", 38, 75, 12, "fade"),  # 0.5 s at 25 fps rounds to 12 frames (12.5, to even)
        ("photo", 101, 75, 12, "fade"),
        ("photo", 164, 75, 12, "fade"),  # photos of a stop cross-fade with the default transition
        ("clip", 239, 55, 0, "cut"),  # the stop before asked for a cut; 2.2 s = 55 frames from the probe
        ("card", 282, 50, 12, "fade"),
    ]
    assert plan.total_frames == 332 and plan.duration_ms == 13280
    assert plan.shots[1].trim_start_ms == 1000 and plan.shots[1].audio
    assert not plan.shots[4].audio  # the file has no sound: silence instead


def test_chapters_follow_segments_and_cover_the_tour() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    assert plan.chapters == (
        Chapter("标题", 0, 1520),
        Chapter("大门", 1520, 4040),
        Chapter("墓区", 4040, 9560),
        Chapter("小径", 9560, 11280),
        Chapter("谢谢", 11280, 13280),
    )


def test_plain_caption_text_is_split_and_spread_by_length() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    assert split_sentences("第一句。第二句话！\nThird") == ["第一句。", "第二句话！", "Third"]
    first, second = plan.captions
    assert (first.text, second.text) == ("第一句。", "第二句话！")
    assert first.start_ms == 1520 + 200 and second.end_ms == 4040 - 200  # visible part of the stop, with margins
    assert first.end_ms == second.start_ms
    assert (second.end_ms - second.start_ms) * 4 == pytest.approx((first.end_ms - first.start_ms) * 5, abs=8)


def test_narration_and_lower_third_are_placed_in_their_stop() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    assert [(v.source, v.start_ms) for v in plan.voices] == [(Path("/media/n.m4a"), 4540)]
    assert [(lt.name, lt.start_ms, lt.end_ms) for lt in plan.lower_thirds] == [("王", 5040, 7040)]
    assert plan.music[0].source == Path("/media/bed.m4a") and plan.music[0].loop


def test_fractional_frame_rate_keeps_whole_frames() -> None:
    plan = build_timeline(make_tour(output={"size": "320x180", "fps": "30000/1001"}), MEDIA)
    assert plan.fps == Fraction(30000, 1001)
    assert plan.shots[0].frames == 60  # 2 s at 29.97
    assert plan.duration_ms == round(plan.total_frames * 1001 / 30)


@pytest.mark.parametrize(
    ("text", "dialect", "expected"),
    [
        ("引号' 冒号: 逗号, [括号]", "srt", "引号' 冒号: 逗号, [括号]"),
        ("等号= 百分% 反斜\\杠", "srt", "等号= 百分% 反斜\\杠"),
        ("第一行\n\n第二行", "srt", "第一行\n第二行"),  # a blank line would end the cue
        ("a < b & c > d --> e", "vtt", "a &lt; b &amp; c &gt; d --&gt; e"),
        ("换行\n第二行", "vtt", "换行\n第二行"),
        ("反斜\\n不是换行", "ass", "反斜\\\u2060n不是换行"),  # libass would read \n as a line break
        ("{\\b1}不是标签", "ass", "{\u2060\\\u2060b1}不是标签"),
        ("第一行\n第二行", "ass", "第一行\\N第二行"),
        ("' : , [ ] % 中文", "ass", "' : , [ ] % 中文"),
        ("a=b;c#d\\e", "ffmetadata", "a\\=b\\;c\\#d\\\\e"),
        ("两行\n标题", "ffmetadata", "两行\\\n标题"),
    ],
)
def test_escape_table(text: str, dialect: str, expected: str) -> None:
    assert escape(text, dialect) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("清明时节，我们在这里缅怀为国捐躯的英烈。", 18, "清明时节，我们在这里\n缅怀为国捐躯的英烈。"),
        ("短句", 18, "短句"),
        ("一二三四五六七八九十。", 5, "一二三四\n五六七八\n九十。"),  # 。never starts a line
        ("Memorial hall of the martyrs", 8, "Memorial hall\nof the martyrs"),  # Latin words stay whole
        ("已有\n换行", 18, "已有\n换行"),
    ],
)
def test_wrap_cjk(text: str, width: int, expected: str) -> None:
    assert wrap(text, width) == expected


def test_caption_files() -> None:
    cues = [CaptionCue("第一句", 1320, 2520), CaptionCue("第二\n行", 3000, 4000)]
    assert srt(cues) == "1\n00:00:01,320 --> 00:00:02,520\n第一句\n\n2\n00:00:03,000 --> 00:00:04,000\n第二\n行\n"
    style = make_tour().defaults.captions
    script = ass(cues, style, (320, 180))
    assert "PlayResX: 320" in script and "Style: Caption,Noto Sans CJK SC,11," in script
    assert "Dialogue: 0,0:00:01.32,0:00:02.52,Caption,,0,0,0,,第一句" in script
    assert script.rstrip().endswith("第二\\N行")
    meta = ffmetadata([Chapter("大门=入口", 0, 1520)], "导览")
    assert meta == ";FFMETADATA1\ntitle=导览\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1520\ntitle=大门\\=入口\n"


def test_filter_value_escapes_both_levels() -> None:
    assert graph.filter_value("/tmp/a b/c.ass") == "\\'/tmp/a b/c.ass\\'"
    assert graph.filter_value("/x/it's[1],;.ass") == "\\'/x/it\\'\\\\\\'\\'s\\[1\\]\\,\\;.ass\\'"


def _command() -> tuple[str, list[str]]:
    plan = build_timeline(make_tour(), MEDIA)
    inputs = graph.TourInputs(
        stills={0: Path("/c/title.png"), 2: Path("/c/a.png"), 3: Path("/c/b.png"), 5: Path("/c/outro.png")},
        burn_ass=Path("/w/captions.ass"),
        fonts_dir=Path("/fonts"),
        soft_srt=Path("/w/captions.srt"),
        metadata=Path("/w/chapters.ffmeta"),
    )
    measured = graph.MeasuredLoudness(-20.5, -3.2, 4.0, -30.5)
    command = graph.tour_command(plan, inputs, Path("/out/t.mp4"), loudness=graph.Loudness(measured=measured))
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


def test_ebur128_stats_parse_the_last_values() -> None:
    text = "frame:1\nlavfi.r128.I=-30.0\nframe:2\nlavfi.r128.I=-19.5\nlavfi.r128.LRA=3.2\nlavfi.r128.true_peak=0.5\n"
    m = graph.parse_ebur128_stats(text)
    assert (m.integrated, m.lra, m.threshold) == (-19.5, 3.2, -29.5)
    assert m.true_peak == pytest.approx(-6.02, abs=0.01)
    with pytest.raises(ValueError):
        graph.parse_ebur128_stats("nothing")


def test_hls_master_playlist_keeps_one_default_subtitle_rendition() -> None:
    master = (
        "#EXTM3U\n#EXT-X-VERSION:7\n"
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="subtitle_0",DEFAULT=YES,URI="720p/index_vtt.m3u8"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=3440800,CODECS="avc1.64001f,mp4a.40.2",SUBTITLES="subs"\n720p/index.m3u8\n\n'
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="subtitle_1",DEFAULT=YES,URI="480p/index_vtt.m3u8"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=1580800,CODECS="avc1.64001e,mp4a.40.2",SUBTITLES="subs"\n480p/index.m3u8\n'
    )
    tidy = graph.tidy_master_playlist(master)
    assert tidy.count("TYPE=SUBTITLES") == 1 and 'NAME="中文",LANGUAGE="zh"' in tidy
    assert tidy.count("#EXT-X-STREAM-INF") == 2


def test_hls_command_gives_every_variant_the_subtitles() -> None:
    variants = [graph.HlsVariant(720, 3000), graph.HlsVariant(480, 1400)]
    argv = graph.hls_command(Path("t.mp4"), Path("t.vtt"), Path("/h"), variants, Fraction(30)).argv
    joined = " ".join(argv)
    assert (
        argv[argv.index("-var_stream_map") + 1] == "v:0,a:0,s:0,sgroup:subs,name:720p v:1,a:1,s:1,sgroup:subs,name:480p"
    )
    assert "-profile:v high" in joined and "-maxrate:v:0 3300k" in joined and "-hls_segment_type fmp4" in joined
    assert joined.count("-map 1:s") == 2 and "-g 60 -keyint_min 60 -sc_threshold 0" in joined


def test_spec_models_are_frozen() -> None:
    tour = make_tour()
    assert isinstance(tour, SpecModel)
    with pytest.raises(ValueError):
        tour.stops[0].title = "x"  # type: ignore[misc]


def _inputs() -> graph.TourInputs:
    return graph.TourInputs(
        stills={0: Path("/c/title.png"), 2: Path("/c/a.png"), 3: Path("/c/b.png"), 5: Path("/c/outro.png")},
        burn_ass=Path("/w/captions.ass"),
        fonts_dir=Path("/fonts"),
        soft_srt=Path("/w/captions.srt"),
        metadata=Path("/w/chapters.ffmeta"),
        lower_thirds=(graph.Overlay(Path("/c/lt.png"), 5000, 6000, 40, 560),),
    )


def test_chunk_command_builds_only_its_shots_and_keeps_tour_time() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    chunks = plan_chunks(plan, 100)
    # each cut is the first frame after a crossfade in (or a hard cut): little of a chunk's first shot is wasted
    assert [(c.start_frame, c.end_frame, c.first_shot, c.last_shot) for c in chunks] == [
        (0, 114, 0, 2), (114, 239, 2, 3), (239, 332, 4, 5)
    ]  # fmt: skip
    command = graph.chunk_video_command(plan, chunks[1], _inputs(), Path("/w/chunk-0001.mp4"))
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
        other_argv = graph.chunk_video_command(plan, other, _inputs(), Path("/w/c.mp4")).argv
        assert "/c/lt.png" not in other_argv
    late = dataclasses.replace(_inputs(), lower_thirds=(graph.Overlay(Path("/c/lt.png"), 4520, 6000),))
    assert "/c/lt.png" in graph.chunk_video_command(plan, chunks[0], late, Path("/w/c.mp4")).argv
    assert parts[-1] == "[subbed]format=yuv420p,setpts=PTS-STARTPTS[vout]"
    tail = " ".join(argv[argv.index("-map") :])
    assert "-c:v libx264 -profile:v high -pix_fmt yuv420p -preset veryfast -crf 20 -g 50 -r 25" in tail
    assert tail.endswith("-threads 4 -x264-params mbtree=0:stitchable=1 -an -f mp4 /w/chunk-0001.mp4")


def test_mux_copies_chunks_and_stem_with_captions_and_chapters() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    command = graph.mux_command(plan, _inputs(), Path("/w/chunks.ffconcat"), Path("/w/sound.m4a"), Path("/o/t.mp4"))
    argv = command.argv
    assert command.temp_files == () and "-filter_complex" not in argv  # nothing is decoded or filtered
    joined = " ".join(argv)
    assert "-f concat -safe 0 -i /w/chunks.ffconcat -i /w/sound.m4a -i /w/captions.srt -i /w/chapters.ffmeta" in joined
    tail = " ".join(argv[argv.index("-map") :])
    assert tail == (
        "-map 0:v -map 1:a -map 2:s -c:v copy -c:a copy -c:s mov_text -metadata:s:s:0 language=chi "
        "-metadata:s:s:0 title=中文字幕 -map_metadata 3 -map_chapters 3 -movflags +faststart /o/t.mp4"
    )
    listing = graph.concat_list([Path("/w/a.mp4"), Path("/w/it's.mp4")])
    assert listing == "ffconcat version 1.0\nfile '/w/a.mp4'\nfile '/w/it'\\''s.mp4'\n"


@pytest.mark.parametrize(
    ("measured", "expected"),
    [
        # -20 LUFS, peak -6 dBTP: +4 dB brings it to -16 with the peak at -2 (under -1.5): a plain gain
        ((-20.0, -6.0), "volume=4.00dB"),
        # too loud already: a plain cut always fits under the ceiling
        ((-9.5, -0.3), "volume=-6.50dB"),
        # exactly at the ceiling still fits (loudnorm's own test is <=)
        ((-20.0, -5.5), "volume=4.00dB"),
        # +4 dB would put the peak at -1.4 dBTP, over -1.5: the gain, and a limiter 1 dB under the ceiling
        ((-20.0, -5.4), "volume=4.00dB,alimiter=limit=0.7499:level=disabled:latency=1"),
        # the sample tour: +5.74 dB, peaks 4.8 dB over the limiter: still the limiter
        ((-21.74, -3.41), "volume=5.74dB,alimiter=limit=0.7499:level=disabled:latency=1"),
        # peaks more than 6 dB over the limiter: loudnorm (which then limits dynamically)
        (
            (-30.0, -8.0),
            "loudnorm=I=-16:TP=-1.5:LRA=11:measured_I=-30:measured_TP=-8:measured_LRA=4:measured_thresh=-40"
            ":linear=true,aresample=48000",
        ),
        # silence (no gated blocks) has nothing to scale: loudnorm, unmeasured
        ((-70.0, -99.0), "loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000"),
    ],
)
def test_normalisation_is_a_gain_a_gain_and_limiter_or_loudnorm_by_how_far_peaks_would_go(
    measured: tuple[float, float], expected: str
) -> None:
    integrated, peak = measured
    loudness = graph.Loudness(measured=graph.MeasuredLoudness(integrated, peak, 4.0, integrated - 10))
    assert graph.normalise(loudness) == expected
    assert (graph.linear_gain_db(loudness) is None) == ("alimiter" in expected or expected.startswith("loudnorm"))


def test_normalisation_without_a_measurement_is_one_pass_loudnorm() -> None:
    assert graph.normalise(graph.Loudness(-23.0, -1.0)) == "loudnorm=I=-23:TP=-1:LRA=11,aresample=48000"
    assert graph.linear_gain_db(graph.Loudness()) is None


def test_poster_branch_writes_its_candidates_and_frame_zero_ahead_in_time() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    chunk = plan_chunks(plan, 100)[1]
    poster = graph.PosterFrames((37, 90), Path("/w/posters/chunk-0001-%02d.bmp"))
    argv = graph.chunk_video_command(plan, chunk, _inputs(), Path("/w/chunk-0001.mp4"), poster=poster).argv
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
    with_zero = graph.PosterFrames((0, 5), Path("/w/p-%02d.bmp"))
    assert with_zero.saved() == [Path("/w/p-01.bmp"), Path("/w/p-02.bmp")]
