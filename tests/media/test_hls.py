"""The HLS ladder command and the tidying of ffmpeg's master playlist."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from streamkit.media.hls import HlsVariant, hls_command, tidy_master_playlist


def test_hls_master_playlist_keeps_one_default_subtitle_rendition() -> None:
    master = (
        "#EXTM3U\n#EXT-X-VERSION:7\n"
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="subtitle_0",DEFAULT=YES,URI="720p/index_vtt.m3u8"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=3440800,CODECS="avc1.64001f,mp4a.40.2",SUBTITLES="subs"\n720p/index.m3u8\n\n'
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="subtitle_1",DEFAULT=YES,URI="480p/index_vtt.m3u8"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=1580800,CODECS="avc1.64001e,mp4a.40.2",SUBTITLES="subs"\n480p/index.m3u8\n'
    )
    tidy = tidy_master_playlist(master)
    assert tidy.count("TYPE=SUBTITLES") == 1 and 'NAME="中文",LANGUAGE="zh"' in tidy
    assert tidy.count("#EXT-X-STREAM-INF") == 2


def test_hls_command_gives_every_variant_the_subtitles() -> None:
    variants = [HlsVariant(720, 3000), HlsVariant(480, 1400)]
    argv = hls_command(Path("t.mp4"), Path("t.vtt"), Path("/h"), variants, Fraction(30), preset="veryfast").argv
    joined = " ".join(argv)
    assert (
        argv[argv.index("-var_stream_map") + 1] == "v:0,a:0,s:0,sgroup:subs,name:720p v:1,a:1,s:1,sgroup:subs,name:480p"
    )
    assert "-profile:v high" in joined and "-maxrate:v:0 3300k" in joined and "-hls_segment_type fmp4" in joined
    assert joined.count("-map 1:s") == 2 and "-g 60 -keyint_min 60 -sc_threshold 0" in joined
