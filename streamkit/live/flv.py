"""FLV tags as data, and the splice of two FLV streams into one whose timestamps never jump.

The standby switch works at this level: the program and the standby slate arrive as FLV (ffmpeg ``-c copy -f flv``),
and one continuous FLV goes on to the relay's on-air stream. A switch happens only at a video keyframe of the source
taken, with that source's codec headers sent first (a platform sees a new AVC sequence header, as after any encoder
restart, not a new broadcast), and its timestamps shifted to carry on one frame after the last tag sent.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import IO

AUDIO, VIDEO, SCRIPT = 8, 9, 18
HEADER = b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00\x00\x00\x00"  # audio and video; PreviousTagSize0
FRAME_MS = 40  # the step after the last tag when a switch happens (one frame at 25 fps)
# A program pull that has just come back sends its headers and a keyframe, then holds the stream about a second while
# ffmpeg probes it: that pause is no outage, so the slate does not cut in again this soon after the program's return.
PROGRAM_SETTLE_S = 1.5
BACKWARDS_MS = 1000  # a source's timestamps falling back this far mean it started over
AVC, AAC = 7, 10


class Source(StrEnum):
    PROGRAM = "program"
    STANDBY = "standby"


@dataclass(frozen=True)
class Tag:
    kind: int  # AUDIO, VIDEO or SCRIPT
    timestamp: int  # ms
    data: bytes

    @property
    def is_header(self) -> bool:
        """An AVC or AAC sequence header (codec configuration), not media."""
        if len(self.data) < 2:
            return False
        if self.kind == VIDEO:
            return self.data[0] & 0x0F == AVC and self.data[1] == 0
        return self.kind == AUDIO and self.data[0] >> 4 == AAC and self.data[1] == 0

    @property
    def is_keyframe(self) -> bool:
        return self.kind == VIDEO and bool(self.data) and self.data[0] >> 4 == 1 and not self.is_header

    def encode(self) -> bytes:
        size = len(self.data)
        ts = self.timestamp & 0xFFFFFFFF
        head = struct.pack(">B", self.kind) + size.to_bytes(3, "big") + (ts & 0xFFFFFF).to_bytes(3, "big")
        head += bytes([ts >> 24]) + b"\x00\x00\x00"
        return head + self.data + struct.pack(">I", 11 + size)


def with_parameter_sets(keyframe: Tag, header: Tag) -> Tag:
    """``keyframe`` with the SPS and PPS of ``header`` (an AVC sequence header) in front of its own NAL units.

    Decoders downstream may keep the parameter sets of the first sequence header they saw whatever comes later in
    the FLV; sent in-band with the first keyframe after a switch, the new source's sets reach every decoder.
    """
    record = header.data[5:]
    if len(record) < 7:
        return keyframe
    length_size = (record[4] & 0x03) + 1
    units, at = [], 5
    for count_mask in (0x1F, 0xFF):  # the SPS count shares its byte with reserved bits; the PPS count does not
        if at >= len(record):
            return keyframe
        count, at = record[at] & count_mask, at + 1
        for _ in range(count):
            size = int.from_bytes(record[at : at + 2], "big")
            units.append(record[at + 2 : at + 2 + size])
            at += 2 + size
    prefix = b"".join(len(unit).to_bytes(length_size, "big") + unit for unit in units)
    return replace(keyframe, data=keyframe.data[:5] + prefix + keyframe.data[5:])


def read_tags(stream: IO[bytes]) -> Iterator[Tag]:
    """Tags from an FLV byte stream until it ends (a torn last tag is dropped)."""
    if _read_exact(stream, 9)[:3] != b"FLV" or len(_read_exact(stream, 4)) < 4:
        return
    while True:
        head = _read_exact(stream, 11)
        if len(head) < 11:
            return
        size = int.from_bytes(head[1:4], "big")
        timestamp = int.from_bytes(head[4:7], "big") | head[7] << 24
        data = _read_exact(stream, size)
        if len(data) < size or len(_read_exact(stream, 4)) < 4:
            return
        yield Tag(head[0], timestamp, data)


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Splicer:
    """Chooses, tag by tag, what goes on air: the program whenever it flows, the standby slate after the program has
    been silent ``standby_after_s``. Pure: the caller says when each tag arrived."""

    def __init__(self, standby_after_s: float) -> None:
        self.standby_after_s = standby_after_s
        self.on_air: Source | None = None
        self.switches = 0
        self._headers: dict[Source, dict[int, Tag]] = {s: {} for s in Source}
        self._offset = 0
        self._last_out: dict[int, int] = {}
        self._program_at = float("-inf")
        self._rebase: set[Source] = set()  # sources whose timestamps started over: next keyframe re-bases them
        self._last_in: dict[tuple[Source, int], int] = {}
        self._dropped = 0

    def restarted(self, source: Source) -> None:
        """``source`` comes from a new process now: new headers, timestamps from zero."""
        self._headers[source] = {}
        self._rebase.add(source)
        self._last_in = {k: v for k, v in self._last_in.items() if k[0] is not source}

    def program_silent_for(self, now: float) -> float:
        return now - self._program_at

    def headers_on_air(self) -> list[Tag]:
        """The codec headers of the source on air, as sent (for a push that starts over mid-stream)."""
        if self.on_air is None:
            return []
        start = min(self._last_out.values()) if self._last_out else 0
        return [replace(h, timestamp=start) for h in self._headers[self.on_air].values()]

    def feed(self, source: Source, tag: Tag, now: float) -> list[Tag]:
        """The tags to send on air for ``tag`` arriving from ``source`` at ``now`` (seconds, any clock)."""
        if tag.kind == SCRIPT:
            return []  # metadata describes one source; the receivers probe the streams themselves
        if source is Source.PROGRAM:
            self._program_at = max(self._program_at, now)
        last = self._last_in.get((source, tag.kind))
        if last is not None and tag.timestamp < last - BACKWARDS_MS:
            self._rebase.add(source)  # a new publishing session behind the same pull
        self._last_in[(source, tag.kind)] = tag.timestamp
        if tag.is_header:
            self._headers[source][tag.kind] = tag
            return [self._shift(tag)] if source is self.on_air else []  # an encoder restarted inside its source
        if source is not self.on_air or source in self._rebase:
            if not (tag.is_keyframe and VIDEO in self._headers[source] and self._wanted(source, now)):
                return []
            return self._switch(source, tag, now)
        return self._send(tag)

    def _wanted(self, source: Source, now: float) -> bool:
        if source is Source.PROGRAM:
            return True
        # the program goes on air first: the switch starts once OBS publishes, and the slate is for its absence only
        return self.on_air is not None and now - self._program_at >= self.standby_after_s

    def _switch(self, source: Source, keyframe: Tag, now: float) -> list[Tag]:
        start = max(self._last_out.values()) + FRAME_MS if self._last_out else 0
        self._offset = start - keyframe.timestamp
        if self.on_air is not None and self.on_air is not source:
            self.switches += 1
        self._rebase.discard(source)
        self.on_air = source
        if source is Source.PROGRAM:
            self._program_at = max(self._program_at, now + PROGRAM_SETTLE_S)
        headers = [replace(h, timestamp=start) for h in self._headers[source].values()]
        for kind in {*self._last_out, *(h.kind for h in headers)}:
            self._last_out[kind] = start  # sound from before the keyframe would run backwards: it waits
        return headers + self._send(with_parameter_sets(keyframe, self._headers[source][VIDEO]))

    def _shift(self, tag: Tag) -> Tag:
        return replace(tag, timestamp=max(0, tag.timestamp + self._offset))

    def _send(self, tag: Tag) -> list[Tag]:
        out = self._shift(tag)
        if out.timestamp < self._last_out.get(out.kind, -1):
            return []  # interleaving around a switch: a tag that would run backwards is dropped
        self._last_out[out.kind] = out.timestamp
        return [out]
