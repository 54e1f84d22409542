#!/bin/sh
# Writes each argument after the first on its own line into file $1, then the environment
# into $1.env; answers a confirmed top-up.
out="$1"
shift
: > "$out"
for a in "$@"; do printf '%s\n' "$a" >> "$out"; done
env > "$out.env"
printf '{"state": "confirmed", "reference": "cmd-77", "charged": "25.00 USD", "message": "bought"}\n'
