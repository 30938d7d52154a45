"""The standby splice on FLV tags (pure): who is on air when, timestamps that never jump, codec headers and parameter
sets sent with every switch, a source that starts over."""

from __future__ import annotations

import io

from streamkit.live.flv import (
    AUDIO,
    FRAME_MS,
    HEADER,
    SCRIPT,
    VIDEO,
    Source,
    Splicer,
    Tag,
    read_tags,
    with_parameter_sets,
)

SPS, PPS = b"\x67\x64\x00\x0c\xac", b"\x68\xee\x3c\x80"


def avc_header(sps: bytes = SPS) -> Tag:
    record = bytes([1, 0x64, 0, 0x0C, 0xFF, 0xE1]) + len(sps).to_bytes(2, "big") + sps
    record += bytes([1]) + len(PPS).to_bytes(2, "big") + PPS
    return Tag(VIDEO, 0, bytes([0x17, 0, 0, 0, 0]) + record)


def aac_header() -> Tag:
    return Tag(AUDIO, 0, bytes([0xAF, 0, 0x12, 0x10]))


def frame(ts: int, key: bool = False) -> Tag:
    return Tag(VIDEO, ts, bytes([0x17 if key else 0x27, 1, 0, 0, 0]) + b"\x00\x00\x00\x02\x65\x88")


def sound(ts: int) -> Tag:
    return Tag(AUDIO, ts, bytes([0xAF, 1, 0x21]))


def test_tags_survive_a_round_trip_with_32_bit_timestamps() -> None:
    tags = [avc_header(), Tag(SCRIPT, 0, b"\x02meta"), frame(0x1234567, key=True), sound(0xFF000001)]
    stream = io.BytesIO(HEADER + b"".join(t.encode() for t in tags) + frame(5).encode()[:-3])  # a torn last tag
    assert list(read_tags(stream)) == tags
    assert avc_header().is_header and aac_header().is_header and frame(0, key=True).is_keyframe
    assert not avc_header().is_keyframe and not frame(1).is_keyframe and not sound(1).is_header


def test_parameter_sets_go_in_front_of_the_keyframe_nal_units() -> None:
    keyed = with_parameter_sets(frame(0, key=True), avc_header())
    payload = keyed.data[5:]
    assert payload.startswith(len(SPS).to_bytes(4, "big") + SPS + len(PPS).to_bytes(4, "big") + PPS)
    assert payload.endswith(frame(0, key=True).data[5:])


def test_the_slate_takes_over_after_the_silence_and_the_program_comes_back() -> None:
    splice = Splicer(standby_after_s=1.0)
    slate_header = avc_header(SPS + b"\x01")
    assert splice.feed(Source.STANDBY, slate_header, 0.0) == []
    assert splice.feed(Source.STANDBY, frame(0, key=True), 0.0) == []  # never the slate before the program
    assert splice.feed(Source.PROGRAM, Tag(SCRIPT, 0, b"m"), 0.0) == []  # metadata of one source: not passed on
    splice.feed(Source.PROGRAM, avc_header(), 0.0)
    splice.feed(Source.PROGRAM, aac_header(), 0.0)
    sent = splice.feed(Source.PROGRAM, frame(1000, key=True), 0.0)
    assert [t.is_header for t in sent] == [True, True, False] and sent[-1].timestamp == 0
    assert splice.on_air is Source.PROGRAM
    # the program's pull pauses while ffmpeg probes it: no slate for 1.5 s after its return, silent or not
    assert splice.feed(Source.STANDBY, frame(500, key=True), 2.4) == []
    assert splice.feed(Source.PROGRAM, frame(1040), 2.45)[0].timestamp == 40
    assert splice.feed(Source.PROGRAM, frame(1080), 3.3)[0].timestamp == 80
    assert splice.feed(Source.STANDBY, frame(700, key=True), 4.0) == []  # silent 0.7 s only
    assert splice.feed(Source.STANDBY, frame(740), 4.4) == []  # silent long enough, but no keyframe
    sent = splice.feed(Source.STANDBY, frame(780, key=True), 4.5)
    assert splice.on_air is Source.STANDBY and splice.switches == 1
    assert sent[0] == Tag(VIDEO, 80 + FRAME_MS, slate_header.data)  # the slate's own codec header
    assert sent[-1].timestamp == 80 + FRAME_MS and sent[-1].data.endswith(frame(0).data[5:])
    assert SPS + b"\x01" in sent[-1].data  # its parameter sets in-band too
    assert splice.feed(Source.STANDBY, frame(820), 4.6)[0].timestamp == 160
    assert splice.feed(Source.PROGRAM, frame(1120), 4.7) == []  # a program frame that is no keyframe waits
    back = splice.feed(Source.PROGRAM, frame(1160, key=True), 4.8)
    assert splice.on_air is Source.PROGRAM and splice.switches == 2 and back[-1].timestamp == 200


def test_a_source_that_starts_over_is_re_based_at_its_next_keyframe() -> None:
    splice = Splicer(standby_after_s=1.0)
    splice.feed(Source.PROGRAM, avc_header(), 0.0)
    splice.feed(Source.PROGRAM, frame(5000, key=True), 0.0)
    splice.feed(Source.PROGRAM, sound(5010), 0.0)
    splice.feed(Source.PROGRAM, frame(5040), 0.1)
    splice.restarted(Source.PROGRAM)  # a new pull: headers again, timestamps from zero
    assert splice.feed(Source.PROGRAM, frame(0, key=True), 0.2) == []  # no headers yet from the new pull
    splice.feed(Source.PROGRAM, avc_header(), 0.2)
    assert splice.feed(Source.PROGRAM, frame(40), 0.3) == []  # waits for a keyframe
    sent = splice.feed(Source.PROGRAM, frame(80, key=True), 0.4)
    assert sent[-1].timestamp == 40 + FRAME_MS and splice.switches == 0
    assert splice.feed(Source.PROGRAM, sound(70), 0.4) == []  # would run backwards: dropped
    assert splice.feed(Source.PROGRAM, sound(130), 0.5)[0].timestamp == 130 - 80 + 80
    # timestamps falling back within one pull (a new publishing session behind it) re-base the same way
    splice.feed(Source.PROGRAM, frame(5000), 0.6)
    assert splice.feed(Source.PROGRAM, frame(10), 0.7) == []
    assert splice.feed(Source.PROGRAM, frame(20, key=True), 0.8)[-1].timestamp > 80
