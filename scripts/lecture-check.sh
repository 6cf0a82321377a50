#!/bin/sh
# The lecture check: runs every step of the default lesson for a moment, then
# draws it at 80x24, 120x40 and 200x60 and fails if a step's key visual is
# missing, its notes are cut, or a text is cut without an ellipsis.
# SCREENS=DIR keeps every screen drawn as DIR/STEP-WxH.txt, to look at.
set -eu
cd "$(dirname "$0")/.."
if [ -n "${SCREENS:-}" ]; then
    LECTURE_SCREENS="$SCREENS" exec cargo test --test lecture_check -- --nocapture
fi
exec cargo test --test lecture_check
