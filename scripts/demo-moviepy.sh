#!/usr/bin/env bash
# Render the effects tour (candle glow, 英名录 name roll) with the ffmpeg engine; effect stops go through moviepy.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/streamkit samples var/samples
.venv/bin/streamkit tour check config/tours/effects-tour.yaml
.venv/bin/streamkit tour render config/tours/effects-tour.yaml -o var/out/effects-tour.mp4 --publish --campaign 清明
