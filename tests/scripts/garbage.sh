#!/bin/sh
# Exits 0 with text that is not the JSON schema.
echo 'Balance: $5.00, valid until 12/15/2026'
