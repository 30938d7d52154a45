#!/usr/bin/env bash
# Live-ceremony demo: headless OBS, the memorial scenes, the Qingming rundown rehearsed at 1/20 speed, OBS stopped.
# Assumes .venv/bin/streamkit exists; run from the repo root. Everything lives under var/demo-obs/.
set -euo pipefail
sk=.venv/bin/streamkit
demo=var/demo-obs
export STREAMKIT_OBS__LAUNCH_DIR="$demo/obs" STREAMKIT_OBS__MEDIA_ROOT=var/samples \
       STREAMKIT_OBS__OVERLAY_DIR="$demo/overlays" STREAMKIT_RUNS_DIR="$demo/runs"
$sk samples var/samples
$sk obs launch --port 0
trap '$sk obs stop' EXIT
$sk obs apply scenes/
$sk obs apply scenes/            # the second apply changes nothing
$sk ceremony run config/ceremonies/qingming-sample.yaml --auto --rehearsal --time-scale 0.05 --publish
echo "as-run log, summary and chapters: $(ls -t "$demo"/runs/*.jsonl | head -1); recordings: $demo/obs/recordings/"
