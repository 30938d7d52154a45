#!/usr/bin/env bash
# Seed the archive with a sample upcoming ceremony, publish what the demo rendered (var/out), then serve the site
# at http://127.0.0.1:8000/ (Ctrl-C stops). Run from the repository root after `make python`.
set -euo pipefail
SK=.venv/bin/streamkit
OUT=${STREAMKIT_DEMO_OUT:-var/out}
TITLE="清明祭英烈 网上公祭仪式（示例）"

if ! $SK archive events | grep -qF "$TITLE"; then
  start=$(TZ=Asia/Shanghai date -d '+1 hour' +%Y-%m-%dT%H:%M)
  $SK archive add-event --title "$TITLE" --start "$start" --minutes 45 --venue "烈士陵园" --campaign "清明" \
    --description "全体肃立，向英烈默哀；敬献花篮；宣读祭文。"
fi

publish() {  # publish MEDIA KIND TITLE, with captions/chapters/poster found beside it by name
  local media=$1 kind=$2 title=$3 stem=${1%.*} extra=()
  for vtt in "$stem.vtt" "$stem.zh.vtt" "$stem.captions.vtt"; do [ -f "$vtt" ] && extra+=(--captions "$vtt") && break; done
  [ -f "$stem.chapters.vtt" ] && extra+=(--chapters "$stem.chapters.vtt")
  for img in "$stem.jpg" "$stem.png" "$stem.poster.jpg"; do [ -f "$img" ] && extra+=(--poster "$img") && break; done
  $SK archive add "$media" --kind "$kind" --title "$title" --campaign "清明" "${extra[@]}"
}

found=0
if [ -d "$OUT" ]; then
  while IFS= read -r -d '' media; do
    name=$(basename "${media%.*}")
    case "$name" in *tour*|*导览*) kind=tour ;; *) kind=recording ;; esac
    # The tour renderer writes OUT.json beside OUT.mp4; its first chapter is the tour's title.
    if [ -f "${media%.*}.json" ]; then
      kind=tour
      name=$(.venv/bin/python -c 'import json,sys; c=json.load(open(sys.argv[1])).get("chapters") or []; print(c[0]["title"] if c else sys.argv[2])' "${media%.*}.json" "$name")
    fi
    publish "$media" "$kind" "$name" || echo "demo-web: could not publish $media (see the error above); going on" >&2
    found=1
  done < <(find "$OUT" -maxdepth 2 -name '.*' -prune -o -type f \( -name '*.mp4' -o -name '*.webm' \) -print0)
fi
if [ "$found" = 0 ] && [ -f var/samples/clips/memorial-gate.mp4 ]; then
  publish var/samples/clips/memorial-gate.mp4 tour "陵园大门（示例片段）"
fi

echo "site: http://127.0.0.1:8000/  (staff: .venv/bin/streamkit web add-user NAME, then /admin/)"
exec $SK web serve
