#!/usr/bin/env bash
# Seed the archive with a sample upcoming ceremony (the tour and ceremony demos published their outputs), then serve
# at http://127.0.0.1:8000/ (Ctrl-C stops). Run from the repository root after `make python`.
set -euo pipefail
SK=.venv/bin/streamkit
TITLE="清明祭英烈 网上公祭仪式（示例）"

if ! $SK archive list-events | grep -qF "$TITLE"; then
  start=$(TZ=Asia/Shanghai date -d '+1 hour' +%Y-%m-%dT%H:%M)
  $SK archive add-event --title "$TITLE" --start "$start" --minutes 45 --venue "烈士陵园" --campaign "清明" \
    --description "全体肃立，向英烈默哀；敬献花篮；宣读祭文。"
fi

echo "site: http://127.0.0.1:8000/  (staff: .venv/bin/streamkit web add-user NAME --role administrator, then /admin/)"
exec $SK web serve
