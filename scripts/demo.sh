#!/usr/bin/env bash
# The main job on embedded defaults: sample media, doctor's report, then each area's demo step in order.
set -euo pipefail
cd "$(dirname "$0")/.."
streamkit=.venv/bin/streamkit
$streamkit samples var/samples
$streamkit doctor
for step in tours moviepy overlays obs web; do  # web last: it serves the site until Ctrl-C
  if [ -f "scripts/demo-$step.sh" ]; then
    echo "== demo: $step"
    bash "scripts/demo-$step.sh"
  fi
done
