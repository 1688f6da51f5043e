# syntax=docker/dockerfile:1
# Build stage: the release binary, with dependencies cached in their own layer.
FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY migration/Cargo.toml migration/Cargo.toml
COPY sandbox/Cargo.toml sandbox/Cargo.toml
# Stub sources (and the bench files the manifest names) so that this layer builds only the
# dependencies and is reused while Cargo.toml and Cargo.lock stay the same.
RUN mkdir -p src migration/src sandbox/src benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs migration/src/lib.rs sandbox/src/lib.rs \
             benches/report_fetch.rs benches/footprint.rs benches/scheduled_burst.rs benches/export.rs benches/report_scale.rs benches/charts.rs benches/alerts.rs benches/agency.rs benches/listings.rs \
    && cargo build --release --locked --bin avito-reports
COPY . .
RUN touch src/main.rs src/lib.rs migration/src/lib.rs sandbox/src/lib.rs \
    && cargo build --release --locked --bin avito-reports

# Runtime stage: a small image running as a non-root user. No curl: the health check is the
# binary's own `healthcheck` command.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 avito \
    && useradd --system --uid 10001 --gid avito --create-home --home-dir /app avito \
    && mkdir -p /app/data \
    && chown avito:avito /app/data
WORKDIR /app
COPY --from=builder /src/target/release/avito-reports /usr/local/bin/avito-reports
COPY start.sh /app/start.sh
# Numeric, so that orchestrators can tell without the passwd file that it is not root.
USER 10001:10001
# MALLOC_ARENA_MAX: glibc gives busy threads arenas of their own, which keep memory after a
# burst; two suffice for this I/O-bound worker.
ENV LOG_FORMAT=json \
    HTTP_ADDR=0.0.0.0:8080 \
    MALLOC_ARENA_MAX=2 \
    DATABASE_URL=sqlite:///app/data/avito-reports.sqlite?mode=rwc
EXPOSE 8080
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["avito-reports", "healthcheck"]
CMD ["./start.sh"]
