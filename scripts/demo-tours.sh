#!/usr/bin/env bash
# Render the sample guided tour (config/tours/sample-tour.yaml) into var/out/, with its sidecars and an HLS ladder.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/streamkit samples var/samples
.venv/bin/streamkit tour check config/tours/sample-tour.yaml
.venv/bin/streamkit tour render config/tours/sample-tour.yaml -o var/out/sample-tour.mp4 --hls var/out/sample-tour-hls --publish --campaign 清明
