# Build: a full Rust toolchain (libpq and OpenSSL are compiled in); run: a slim Debian with CA
# certificates, and curl for the health check.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY assets ./assets
RUN cargo build --release --locked && strip target/release/civil

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/civil --create-home civil
COPY --from=build /src/target/release/civil /usr/local/bin/civil
USER civil
WORKDIR /var/lib/civil
ENV CIVIL_LISTEN=0.0.0.0:8080 \
    CIVIL_DATA_DIR=/var/lib/civil/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["civil"]
CMD ["serve"]
