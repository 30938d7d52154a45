"""Corrupt and hostile media, built in memory from a few bytes: each lies about itself in one way."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

BOMB_SIDE = 30_000
ZTXT_INFLATED_BYTES = 64 << 20


def jpeg_bomb(side: int = BOMB_SIDE) -> bytes:
    """A 16x16 JPEG whose frame header claims ``side`` x ``side`` pixels (630 bytes on disk)."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 90, 90)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    frame = data.find(b"\xff\xc0")  # SOF0: marker, length (2), precision (1), height (2), width (2)
    struct.pack_into(">HH", data, frame + 5, side, side)
    return bytes(data)


def png_with_huge_ztxt(inflated: int = ZTXT_INFLATED_BYTES) -> bytes:
    """A 16x16 PNG carrying a zTXt chunk of ~64 KiB that inflates to ``inflated`` bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (40, 40, 40)).save(buffer, "PNG")
    png = buffer.getvalue()
    body = b"Comment\x00\x00" + zlib.compress(bytes(inflated), 9)
    chunk = struct.pack(">I", len(body)) + b"zTXt" + body + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    after_header = 8 + 25  # signature, then IHDR (length, type, 13 bytes, CRC)
    return png[:after_header] + chunk + png[after_header:]


def truncated(mp4: bytes) -> bytes:
    """The first half of a file whose index (moov) is written at the end: a copy cut off mid-transfer."""
    return mp4[: len(mp4) // 2]


def absurd_duration(mp4: bytes) -> bytes:
    """The MP4 with its movie and track headers claiming 2^32 - 16 ticks (weeks at 1 kHz)."""
    data = bytearray(mp4)
    for box in (b"mvhd", b"mdhd"):
        at = data.find(box)
        while at >= 0:
            if data[at + 4] == 0:  # version 0: type, version+flags, created, modified, timescale, duration
                struct.pack_into(">I", data, at + 20, 0xFFFFFFF0)
            at = data.find(box, at + 1)
    return bytes(data)
