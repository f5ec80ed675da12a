# wirefeed container image: a static binary on an empty base (no shell, no
# package manager, nothing to patch). The image holds no toolchain, so build
# the binary first; nothing is pulled from a registry:
#
#   CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o dist/wirefeed ./cmd/wirefeed
#   docker build -t wirefeed .
#   docker run -d -p 8080:8080 -v wirefeed-data:/data wirefeed
#
# Mount your own config over /etc/wirefeed/config.toml. The database lives
# on the /data volume. The process runs as nobody (65534).
FROM scratch
COPY --chown=65534:65534 docker/.keep /data/.keep
COPY config.example.toml /etc/wirefeed/config.toml
COPY dist/wirefeed /wirefeed
USER 65534:65534
VOLUME ["/data"]
EXPOSE 8080
# /readyz: a write to the database commits and fetch cycles run (/healthz
# would stay 200 with the disk full).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/wirefeed", "healthcheck", "-url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/wirefeed"]
CMD ["serve", "-config", "/etc/wirefeed/config.toml", "-data-dir", "/data", "-listen", "0.0.0.0:8080"]
