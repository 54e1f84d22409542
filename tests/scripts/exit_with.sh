#!/bin/sh
# Exits with the code in $1 after a line on stderr and a message on stdout.
echo "exiting with $1" >&2
printf '{"message": "told to exit %s"}\n' "$1"
exit "$1"
