"""Benchmarks of the live push on the real relay, three local receivers and a clock program (run under the bench lock).

    .venv/bin/python bench/live.py [--seconds 10] [--size 1280x720] [--bitrate 2500]

1. CPU per leg: utime+stime of each leg's ffmpeg (stream copy) from /proc over ``--seconds``, in % of one core;
   beside it the standby switch's processes and this process (the splice runs in it). Baseline: the program's own
   encoder over the same window.
2. Receiver back to leg live: a receiver is killed, brought back 5 s later; the time from its return to its leg's
   ``live`` (default retry policy), three times.
3. Glass-to-glass of the site's HLS: the program's frames carry the wall clock (ms) as a row of black and white
   blocks, written by this script just before encoding; Chromium plays the event page (the site's own player and
   HLS route) and reads the blocks of the frame on screen; delay = now - the time in the frame, sampled for
   ``--seconds``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamkit.archive.events import set_event_status
from streamkit.archive.models import EventStatus
from streamkit.config.settings import LiveSettings
from streamkit.live.destinations import Target
from streamkit.live.leg import LegState
from streamkit.live.run import LiveRun
from streamkit.obs.launcher import free_port
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.archive.conftest import make_event
from tests.live.conftest import Receiver
from tests.web.conftest import web_settings

BITS = 48  # ms since the epoch fit in 48 bits for thousands of years
BLOCK = 40  # px; the clock row is BITS blocks of BLOCK x BLOCK, 16 per line, 3 lines, top left
PER_LINE = 16
TICKS = 100  # /proc/<pid>/stat counts in clock ticks (SC_CLK_TCK)


def clock_program(url: str, size: str, bitrate: int, seconds: float) -> subprocess.Popen[bytes]:
    """A program whose every frame shows the wall clock (ms) at the moment it is handed to the encoder."""
    width, height = (int(v) for v in size.split("x"))
    argv = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s", size,
        "-r", "25", "-i", "pipe:0", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
        "-b:v", f"{bitrate}k", "-maxrate", f"{bitrate}k", "-bufsize", f"{bitrate}k", "-g", "25",
        "-c:a", "aac", "-b:a", "128k", "-shortest", "-f", "flv", url,
    ]  # fmt: skip
    encoder = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def frames() -> None:
        import numpy as np

        picture = np.full((height, width), 96, dtype=np.uint8)
        noise = np.random.default_rng(7)  # a patch of noise per frame: the encoder spends its bitrate like a camera's
        start, n = time.monotonic(), 0
        assert encoder.stdin is not None
        try:
            while time.monotonic() - start < seconds:
                now_ms = int(time.time() * 1000)
                picture[:, :] = 96
                picture[:, (n * 8) % width : (n * 8) % width + 16] = 200  # motion, as a real program has
                patch = (height - height // 2, width - width // 2)
                picture[height // 2 :, width // 2 :] = noise.integers(0, 256, patch, dtype=np.uint8)
                for bit in range(BITS):
                    y, x = divmod(bit, PER_LINE)
                    value = 255 if now_ms >> (BITS - 1 - bit) & 1 else 0
                    picture[y * BLOCK : (y + 1) * BLOCK, x * BLOCK : (x + 1) * BLOCK] = value
                encoder.stdin.write(picture.tobytes())
                n += 1
                time.sleep(max(0.0, start + n / 25 - time.monotonic()))
        except (BrokenPipeError, OSError):
            pass
        finally:
            encoder.stdin.close()

    threading.Thread(target=frames, daemon=True).start()
    return encoder


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def wait(condition: Any, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def state(run: LiveRun, name: str) -> LegState | None:
    return next((v.state for v in run.legs.views() if v.name == name), None)


DECODE_JS = """([bits, block, perLine]) => new Promise((resolve) => {
  const video = document.getElementById('player');
  if (!video || video.readyState < 2) { resolve(null); return; }
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  const g = canvas.getContext('2d');
  video.requestVideoFrameCallback(() => {
    const now = Date.now();
    g.drawImage(video, 0, 0);
    let value = 0;
    for (let bit = 0; bit < bits; bit++) {
      const y = Math.floor(bit / perLine) * block + block / 2, x = (bit % perLine) * block + block / 2;
      const px = g.getImageData(x, y, 1, 1).data[0];
      value = value * 2 + (px > 128 ? 1 : 0);
    }
    resolve(now - value);
  });
})"""


def glass_to_glass(folder: Path, live: LiveSettings, seconds: float) -> list[float]:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    settings = web_settings(folder).model_copy(update={"live": live})
    app = create_app(settings, secret_key="bench-secret-key-long-enough-for-flask")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request would drown the figures
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    store = app.extensions[STORE_KEY]
    event = make_event(store, "glass", starts_in=timedelta(minutes=-1))
    set_event_status(store, event.slug, EventStatus.LIVE, actor="bench", stream_url="/live/program.m3u8")
    delays: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/events/{event.slug}")
            page.wait_for_function("() => { const v = document.getElementById('player');"
                                   " return v && v.currentTime > 1; }", timeout=60_000)  # fmt: skip
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                delay = page.evaluate(DECODE_JS, [BITS, BLOCK, PER_LINE])
                if delay is not None and 0 < delay < 60_000:
                    delays.append(delay / 1000)
                time.sleep(0.2)
            browser.close()
    finally:
        server.shutdown()
        store.dispose()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--bitrate", type=int, default=2500, help="program video kbit/s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="streamkit-bench-live-") as tmp:
        folder = Path(tmp)
        live = LiveSettings(run_dir=folder / "run", relay_port=free_port(), relay_http_port=free_port())
        receivers = [Receiver(folder / f"receiver-{n}").start() for n in range(3)]
        targets = [Target(f"leg{n}", r.server, f"key{n}") for n, r in enumerate(receivers)]
        run = LiveRun(live, targets).start()
        program = clock_program(run.plan.program_url, args.size, args.bitrate, 600)
        try:
            wait(lambda: all(state(run, t.name) is LegState.LIVE for t in targets), "every leg live")
            time.sleep(2)
            legs = {v.name: v.pid for v in run.legs.views() if v.pid is not None}
            rates = ", ".join(f"{v.name} {v.bitrate // 1000} kbit/s" for v in run.legs.views())
            switch = run.switch.pids() if run.switch is not None else []
            watched = {f"leg {n}": p for n, p in legs.items()}
            watched.update({"program encoder": program.pid, "this process (splice, clock frames)": os.getpid()})
            for n, pid in enumerate(switch):
                watched[f"standby switch process {n + 1}"] = pid
            before = {name: cpu_ticks(pid) for name, pid in watched.items()}
            t0 = time.monotonic()
            time.sleep(args.seconds)
            elapsed = time.monotonic() - t0
            print(f"CPU over {elapsed:.1f} s, program {args.size} at {args.bitrate} kbit/s ({rates}), % of one core:")
            for name, pid in watched.items():
                print(f"  {name:28s} {100 * (cpu_ticks(pid) - before[name]) / TICKS / elapsed:5.1f} %")

            backs = []
            for _ in range(3):
                receivers[1].kill()
                wait(lambda: state(run, "leg1") is not LegState.LIVE, "leg1 down", 60)
                time.sleep(5)
                receivers[1].start()
                back = time.monotonic()
                wait(lambda: state(run, "leg1") is LegState.LIVE, "leg1 live again", 120)
                backs.append(time.monotonic() - back)
                time.sleep(2)
            print("receiver back -> leg live (default retry policy, 5 s outage): "
                  + ", ".join(f"{b:.1f} s" for b in backs))  # fmt: skip

            delays = glass_to_glass(folder, live, args.seconds)
            if delays:
                median, low, high = statistics.median(delays), min(delays), max(delays)
                print(f"glass-to-glass, site HLS in Chromium ({len(delays)} samples): "
                      f"median {median:.2f} s, min {low:.2f} s, max {high:.2f} s")  # fmt: skip
            else:
                print("glass-to-glass: no frame could be read")
        finally:
            program.terminate()
            program.wait(10)
            run.stop()
            for receiver in receivers:
                receiver.kill()


if __name__ == "__main__":
    main()
