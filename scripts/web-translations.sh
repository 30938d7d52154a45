#!/usr/bin/env bash
# Refresh the site's message catalog after changing templates or strings, then compile it.
# Edit web/translations/zh/LC_MESSAGES/messages.po to translate new strings; commit both .po and .mo.
set -euo pipefail
BIN=.venv/bin
$BIN/pybabel extract -F web/babel.cfg -k _l -k lazy_gettext --no-location --omit-header -o web/translations/messages.pot .
$BIN/pybabel update -i web/translations/messages.pot -d web/translations -l zh --width 120 --ignore-obsolete
$BIN/pybabel compile -d web/translations -l zh --statistics
