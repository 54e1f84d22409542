#!/bin/sh
# Prints a valid status, leaves a child holding stdout open (pid in $1), and exits at once.
echo '{"balance": "5.00 USD"}'
sleep 30 &
echo $! > "$1"
exit 0
