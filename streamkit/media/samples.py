"""Generate small, realistic, deterministic sample media for demos and tests (ffmpeg lavfi and Pillow).

Same seed and size give the same files byte for byte (bit-exact muxing, no timestamps in metadata).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from streamkit.errors import StreamkitError
from streamkit.fonts import find_cjk_font
from streamkit.media.commands import COMMON_HEAD
from streamkit.media.publish import atomic_output, verify_media, write_text_atomic
from streamkit.media.runner import run_ffmpeg, run_tool
from streamkit.media.tools import ffmpeg_binary

SAMPLES_VERSION = 1
REGISTER_SIZE = 40
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]

NARRATION_LINES = (
    "清明时节，我们在这里缅怀为国捐躯的英烈。",
    "陵园始建于一九五五年，安葬着四百余位烈士。",
    "让我们默哀一分钟，寄托无尽的哀思。",
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "志国建华明德永春海文福英军民立新振兴宝山广忠义学成长青松柏云峰"
HOMETOWNS = ("山东沂蒙", "河北阜平", "河南林州", "湖南平江", "江西瑞金", "四川通江", "陕西延川", "安徽金寨")
UNITS = ("第一纵队第三团", "第二纵队第七团", "第四纵队第十一团", "独立第五旅", "野战医院", "第三纵队炮兵营")


@dataclass(frozen=True)
class ClipPlan:
    """One synthetic site clip."""

    name: str
    description: str
    width: int
    height: int
    fps: str
    seconds: float
    video_source: str
    audio: str | None  # lavfi audio source, or None for a clip without sound
    extra_output: tuple[str, ...] = ()
    rotation: int = 0


@dataclass(frozen=True)
class SampleSet:
    folder: Path
    clips: tuple[Path, ...]
    photos: tuple[Path, ...]
    narration: Path
    narration_parts: tuple[Path, ...]
    music: Path
    logo: Path
    register: Path
    spoken: bool  # narration is real speech (espeak-ng) rather than tones


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def clip_plans(width: int, height: int, seconds: float = 3.0) -> list[ClipPlan]:
    w, h = width, height
    return [
        ClipPlan(
            "memorial-gate.mp4", "landscape, 25 fps, stereo 48 kHz", w, h, "25", seconds,
            f"testsrc2=size={w}x{h}:rate=25",
            "sine=frequency=220:sample_rate=48000,aformat=channel_layouts=stereo",
        ),
        ClipPlan(
            "memorial-hall.mp4", "4:3, 30 fps, mono 44.1 kHz", _even(h * 4 / 3), h, "30", seconds,
            f"mandelbrot=size={_even(h * 4 / 3)}x{h}:rate=30",
            "anoisesrc=color=pink:amplitude=0.05:seed=7:sample_rate=44100",
        ),
        ClipPlan(
            "cypress-path.mp4", "landscape, 24 fps, no audio track", w, h, "24", seconds,
            f"cellauto=size={w}x{h}:rate=24:rule=110:seed=11,format=yuv420p",
            None,
        ),
        ClipPlan(
            "phone-portrait.mp4", "phone clip stored landscape with 90° rotation metadata (shows portrait)",
            w, h, "30", seconds,
            f"smptehdbars=size={w}x{h}:rate=30",
            "sine=frequency=330:sample_rate=44100",
            rotation=90,
        ),
        ClipPlan(
            "wreath-vfr.mp4", "variable frame rate (frames dropped irregularly)", w, h, "30", seconds,
            f"testsrc=size={w}x{h}:rate=30,select='not(between(mod(n\\,20)\\,5\\,11))'",
            "sine=frequency=440:sample_rate=48000",
            ("-fps_mode", "vfr"),
        ),
    ]  # fmt: skip


def clip_argv(plan: ClipPlan, out: Path, ffmpeg_bin: str) -> list[str]:
    argv = [ffmpeg_bin, *COMMON_HEAD, "-loglevel", "error", "-f", "lavfi", "-i", plan.video_source]
    if plan.audio:
        argv += ["-f", "lavfi", "-i", plan.audio]
    argv += ["-t", f"{plan.seconds:g}", "-c:v", "libx264", "-preset", "veryfast", "-crf", "28"]
    argv += ["-pix_fmt", "yuv420p", "-threads", "1"]
    if "select=" not in plan.video_source:
        argv += ["-r", plan.fps]
    argv += ["-c:a", "aac", "-b:a", "64k"] if plan.audio else ["-an"]
    argv += [*plan.extra_output, *BITEXACT, str(out)]
    return argv


# tkhd display matrix for a 90° clockwise turn: a=0, b=1, u=0, c=-1, d=0, v=0, x=0, y=0, w=1 (16.16 / 2.30)
ROTATE_90_MATRIX = struct.pack(">9I", 0, 0x00010000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000)


def set_display_rotation_90(mp4: bytes) -> bytes:
    """Mark the first track of an MP4 as filmed turned, as phones do.

    ffmpeg 5.1 cannot write a rotation on encode (``-metadata rotate`` was dropped, ``-display_rotation``
    arrived in 6.0), so the matrix in the first ``tkhd`` box is set directly.
    """
    at = mp4.find(b"tkhd")
    if at < 0:
        raise StreamkitError("cannot set rotation: no track header in the sample clip")
    version = mp4[at + 4]
    matrix_at = at + 4 + 4 + (20 if version == 0 else 32) + 8 + 8
    return mp4[:matrix_at] + ROTATE_90_MATRIX + mp4[matrix_at + 36 :]


def register_rows(seed: int, photos: Sequence[str]) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    used: set[str] = set()
    while len(rows) < REGISTER_SIZE:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if name in used:
            continue
        used.add(name)
        born = rng.randint(1905, 1932)
        died = born + rng.randint(17, 30)
        i = len(rows)
        rows.append(
            {
                "name": name,
                "born": str(born),
                "died": str(min(died, 1953)),
                "unit": rng.choice(UNITS),
                "hometown": rng.choice(HOMETOWNS),
                "section": "ABCD"[i // 10],
                "row": str(i % 10 // 5 + 1),
                "number": str(i % 5 + 1),
                "photo": photos[i],
            }
        )
    return rows


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    match = find_cjk_font()
    if match is None:
        return ImageFont.load_default()
    return ImageFont.truetype(str(match.file), size=size, index=match.index)


def tomb_photo(row: dict[str, str], index: int, base: int, seed: int) -> Image.Image:
    """A headstone in a cemetery row: sky, cypress hedge, grey stone with the engraved name."""
    rng = random.Random(seed * 1000 + index)
    aspect = (4 / 3, 3 / 4, 1.0, 16 / 9)[index % 4]
    w, h = (_even(base * aspect), _even(base)) if aspect >= 1 else (_even(base), _even(base / aspect))
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    for y in range(h):  # sky to grass gradient
        t = y / h
        colour = (int(170 - 90 * t), int(190 - 40 * t), int(210 - 150 * t)) if t < 0.55 else (60, 110, 50)
        draw.line([(0, y), (w, y)], fill=colour)
    for x in range(0, w, max(4, w // 40)):  # hedge
        top = int(h * 0.45) - rng.randint(0, h // 10)
        draw.ellipse([x - 6, top, x + w // 30 + 6, int(h * 0.6)], fill=(30, 70 + rng.randint(0, 30), 35))
    sw, sh = int(w * 0.42), int(h * 0.55)
    sx, sy = (w - sw) // 2, int(h * 0.32)
    grey = 150 + rng.randint(-15, 15)
    draw.rounded_rectangle([sx, sy, sx + sw, sy + sh], radius=sw // 6, fill=(grey, grey, grey + 5))
    font = _font(max(10, sw // 6))
    small = _font(max(8, sw // 11))
    draw.text((w // 2, sy + sh * 0.3), row["name"], font=font, fill=(40, 40, 40), anchor="mm")
    draw.text((w // 2, sy + sh * 0.55), f"{row['born']}—{row['died']}", font=small, fill=(60, 60, 60), anchor="mm")
    draw.text((w // 2, sy + sh * 0.75), "烈士之墓", font=small, fill=(70, 60, 30), anchor="mm")
    # film grain from a seeded generator (Pillow's effect_noise uses the C library's rand: not reproducible)
    grain = np.random.default_rng(seed * 1000 + index).normal(0, 6, (h, w, 1))
    pixels = np.clip(np.asarray(img, dtype=np.float64) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def save_photo(img: Image.Image, target: Path, *, orientation: int = 1) -> None:
    """Save a JPEG; with ``orientation`` 6 the pixels are stored turned and EXIF says how to turn them back."""
    exif = Image.Exif()
    if orientation == 6:
        img = img.transpose(Image.Transpose.ROTATE_90)  # stored 90° counter-clockwise, shown turned clockwise
        exif[0x0112] = 6
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=85, exif=exif.tobytes())
    _write_bytes(target, buffer.getvalue())


def _write_bytes(target: Path, data: bytes) -> None:
    with atomic_output(target) as partial:
        partial.write_bytes(data)


def logo_png(size: int) -> bytes:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    gold = (201, 168, 76, 255)
    draw.ellipse([2, 2, size - 3, size - 3], outline=gold, width=max(2, size // 24), fill=(0, 0, 0, 150))
    draw.text((size // 2, size // 2), "念", font=_font(int(size * 0.55)), fill=gold, anchor="mm")
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


def _speak(text: str, ffmpeg_bin: str, target: Path) -> bool:
    """Mandarin speech from espeak-ng, encoded to AAC; False when espeak-ng is not installed."""
    ssml = "<speak>" + text + "</speak>"
    try:
        done = run_tool(["espeak-ng", "-v", "cmn", "-s", "150", "-m", "--stdout", ssml], timeout_s=60)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False
    if done.returncode != 0 or not done.stdout:
        return False
    wav = target.with_name(f".{target.stem}.speech.wav")
    wav.write_bytes(done.stdout)
    try:
        _encode_audio(["-i", str(wav), "-af", "apad=pad_dur=0.6"], target, ffmpeg_bin)
    finally:
        wav.unlink(missing_ok=True)
    return True


def _encode_audio(inputs: list[str], target: Path, ffmpeg_bin: str, seconds: float | None = None) -> None:
    argv = [ffmpeg_bin, *COMMON_HEAD, "-loglevel", "error", *inputs]
    if seconds:
        argv += ["-t", f"{seconds:g}"]
    argv += ["-c:a", "aac", "-b:a", "64k", *BITEXACT]
    with atomic_output(target, verify_media(need_video=False, need_audio=True)) as partial:
        run_ffmpeg([*argv, str(partial)], show_progress=False, output_path=target)


def _tones(text: str, target: Path, ffmpeg_bin: str) -> None:
    """Stand-in narration when espeak-ng is absent: a tone per syllable, with the same pauses."""
    seconds = 0.18 * len(text) + 0.6
    expr = "0.3*sin(2*PI*(180+40*mod(floor(t/0.18),5))*t)*lt(mod(t,0.18),0.14)*lt(t," + f"{seconds - 0.6:g})"
    _encode_audio(["-f", "lavfi", "-i", f"aevalsrc='{expr}':s=22050"], target, ffmpeg_bin, seconds)


def _stamp(width: int, height: int, seed: int) -> dict[str, object]:
    return {"version": SAMPLES_VERSION, "size": f"{width}x{height}", "seed": seed}


def generate(
    folder: str | Path, *, width: int = 320, height: int = 180, seed: int = 1, force: bool = False
) -> SampleSet:
    """Write the sample set into ``folder`` (skipped when an identical set is already there)."""
    if width < 64 or height < 64 or width % 2 or height % 2:
        raise StreamkitError(f"sample size {width}x{height}: width and height must be even and at least 64")
    folder = Path(folder)
    manifest_path = folder / "samples.json"
    stamp = _stamp(width, height, seed)
    if not force and manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except ValueError:
            manifest = {}
        if manifest.get("stamp") == stamp and all((folder / f).exists() for f in manifest.get("files", {})):
            return _sample_set(folder, manifest)
    ffmpeg_bin = ffmpeg_binary()
    (folder / "clips").mkdir(parents=True, exist_ok=True)
    (folder / "photos").mkdir(exist_ok=True)
    (folder / "audio").mkdir(exist_ok=True)

    clips = []
    for plan in clip_plans(width, height):
        target = folder / "clips" / plan.name
        with atomic_output(target, verify_media(round(plan.seconds * 1000), tolerance_ms=150)) as partial:
            run_ffmpeg(clip_argv(plan, partial, ffmpeg_bin), show_progress=False, output_path=target)
            if plan.rotation == 90:
                partial.write_bytes(set_display_rotation_90(partial.read_bytes()))
        clips.append(target)

    photo_names = [f"photos/tomb-{i + 1:03d}.jpg" for i in range(REGISTER_SIZE)]
    rows = register_rows(seed, photo_names)
    photos = []
    for i, row in enumerate(rows):
        img = tomb_photo(row, i, max(120, height * 4 // 3), seed)
        if i == 6:  # out of focus: the photo-quality check must flag it
            img = img.filter(ImageFilter.GaussianBlur(radius=max(3, height // 30)))
        if i == 10:  # underexposed
            img = img.point(lambda v: v // 5)
        target = folder / row["photo"]
        save_photo(img, target, orientation=6 if i == 1 else 1)
        photos.append(target)

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    register = folder / "register.csv"
    write_text_atomic(register, buffer.getvalue())

    parts = []
    spoken = True
    for i, line in enumerate(NARRATION_LINES):
        target = folder / "audio" / f"narration-{i + 1}.m4a"
        if not _speak(line, ffmpeg_bin, target):
            spoken = False
            _tones(line, target, ffmpeg_bin)
        parts.append(target)
    narration = folder / "audio" / "narration.m4a"
    concat = "".join(f"[{i}:a]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1"
    inputs = [arg for part in parts for arg in ("-i", str(part))]
    _encode_audio([*inputs, "-filter_complex", concat], narration, ffmpeg_bin)

    music = folder / "audio" / "music-bed.m4a"
    chord = (
        "aevalsrc='(0.12*sin(2*PI*220*t)+0.09*sin(2*PI*261.63*t)+0.07*sin(2*PI*329.63*t))"
        "*(0.8+0.2*sin(2*PI*0.25*t))|(0.12*sin(2*PI*220*t)+0.09*sin(2*PI*261.63*t)+0.07*sin(2*PI*392*t))"
        "*(0.8+0.2*sin(2*PI*0.25*t+1))':s=44100"
    )
    _encode_audio(["-f", "lavfi", "-i", chord], music, ffmpeg_bin, seconds=20)

    logo = folder / "logo.png"
    _write_bytes(logo, logo_png(max(48, height // 3)))

    files = [*clips, *photos, narration, *parts, music, logo, register]
    manifest = {
        "stamp": stamp,
        "spoken": spoken,
        "clips": {p.name: asdict(plan) for p, plan in zip(clips, clip_plans(width, height), strict=True)},
        "files": {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files},
    }
    write_text_atomic(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return _sample_set(folder, manifest)


def _sample_set(folder: Path, manifest: dict[str, object]) -> SampleSet:
    names = list(manifest["files"])  # type: ignore[call-overload]
    return SampleSet(
        folder=folder,
        clips=tuple(folder / n for n in names if n.startswith("clips/")),
        photos=tuple(folder / n for n in names if n.startswith("photos/")),
        narration=folder / "audio" / "narration.m4a",
        narration_parts=tuple(folder / n for n in names if n.startswith("audio/narration-")),
        music=folder / "audio" / "music-bed.m4a",
        logo=folder / "logo.png",
        register=folder / "register.csv",
        spoken=bool(manifest.get("spoken")),
    )
