#!/bin/sh
# Starts a child that would outlive the limit, records its pid in $1, and waits.
sleep 30 &
echo $! > "$1"
wait
