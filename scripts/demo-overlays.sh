#!/usr/bin/env bash
# Overlays demo: stills, a countdown clip and a name roll from the sample register (make demo generates var/samples).
set -euo pipefail
out=var/demo/overlays
mkdir -p "$out"
sk=.venv/bin/streamkit
$sk overlay glyphs --register var/samples/register.csv
$sk overlay render lower-third --text 李青云 --text "1922–1949 第一纵队第三团" -o "$out/lower-third.png"
$sk overlay render lower-third --text 李青云 --text "1922–1949 第一纵队第三团" --size 1080x1920 -o "$out/lower-third-portrait.png"
$sk overlay render title --text 清明祭英烈 --text 2020年网上祭扫活动 -o "$out/title.png"
$sk overlay render title --text 英灵永存 --text 浩气长存 --vertical -o "$out/title-vertical.png"
$sk overlay render standby -o "$out/standby.png"
$sk overlay render countdown --seconds 10 --size 640x360 -o "$out/countdown.webm"
$sk overlay render name-roll --register var/samples/register.csv --size 640x360 --speed 100 -o "$out/name-roll.webm"
echo "overlays in $out"
