# wirefeed container image: a static binary on an empty base (no shell, no
# package manager, nothing to patch). The image holds no toolchain, so build
# the binary first, with its version stamped; nothing is pulled from a
# registry:
#
#   CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=$(git describe --tags --always --dirty)" -o dist/wirefeed ./cmd/wirefeed
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t wirefeed .
#
# The image carries no config: create yours first and mount it over
# /etc/wirefeed/config.toml (a missing file would make Docker create a
# directory there, which wirefeed refuses with a message saying so):
#
#   cp config.example.toml config.toml   # then edit the feeds
#   docker run -d -p 8080:8080 -v wirefeed-data:/data \
#     -v "$PWD/config.toml:/etc/wirefeed/config.toml:ro" wirefeed
#
# The database lives on the /data volume. The process runs as nobody
# (65534): a bind-mounted data directory must be writable by that uid.
FROM scratch
ARG VERSION=unknown
LABEL org.opencontainers.image.title="wirefeed" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/wirefeed/wirefeed"
COPY --chown=65534:65534 docker/.keep /data/.keep
COPY dist/wirefeed /wirefeed
USER 65534:65534
VOLUME ["/data"]
EXPOSE 8080
# /readyz: a write to the database commits and fetch cycles run (/healthz
# would stay 200 with the disk full).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/wirefeed", "healthcheck", "-url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/wirefeed"]
CMD ["serve", "-config", "/etc/wirefeed/config.toml", "-data-dir", "/data", "-listen", "0.0.0.0:8080"]
