#!/bin/sh
# Applies migrations, then runs the bot worker. Used by the Procfile and the Docker image.
set -eu

if command -v avito-reports >/dev/null 2>&1; then
    bin=avito-reports
elif [ -x ./target/release/avito-reports ]; then
    bin=./target/release/avito-reports
else
    echo "start.sh: avito-reports binary not found (build it with: cargo build --release)" >&2
    exit 1
fi

"$bin" migrate
exec "$bin" run
