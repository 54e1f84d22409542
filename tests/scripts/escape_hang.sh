#!/bin/sh
# Starts a child in its own session (out of reach of a group kill) that holds stdout
# open, records its pid in $1, and waits.
setsid sleep 30 &
echo $! > "$1"
wait
