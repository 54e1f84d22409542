#!/bin/sh
# Prints a full status reply; the message echoes the first argument.
printf '{"balance": "5.00 USD", "data": "500 MB", "expiry": "2026-12-15", "state": "active", "message": "number %s"}\n' "$1"
