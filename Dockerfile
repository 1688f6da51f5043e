# syntax=docker/dockerfile:1
# Build stage: the release binary, with dependencies cached in their own layer.
FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY migration/Cargo.toml migration/Cargo.toml
COPY sandbox/Cargo.toml sandbox/Cargo.toml
RUN mkdir -p src migration/src sandbox/src \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs migration/src/lib.rs sandbox/src/lib.rs \
    && cargo build --release --locked --bin avito-reports || true
COPY . .
RUN touch src/main.rs src/lib.rs migration/src/lib.rs sandbox/src/lib.rs \
    && cargo build --release --locked --bin avito-reports

# Runtime stage: a small image running as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /app avito
WORKDIR /app
COPY --from=builder /src/target/release/avito-reports /usr/local/bin/avito-reports
COPY start.sh /app/start.sh
USER avito
ENV LOG_FORMAT=json \
    DATABASE_URL=sqlite:///app/data/avito-reports.sqlite?mode=rwc
VOLUME ["/app/data"]
CMD ["./start.sh"]
