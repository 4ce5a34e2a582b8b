# syntax=docker/dockerfile:1
# edgestream's container image: the simulator, the processor and the archiver
# in one image (the Helm chart picks the binary per component).
#
#   docker build -t edgestream:dev .
#
# Stage 1 builds on Debian 12 with the same Debian packages as
# scripts/install-deps.sh; stage 2 is debian:12-slim with only the shared
# libraries the three binaries link (tools/runtime-packages.sh: ldd, then the
# Debian package that owns each library), CA certificates, and a non-root
# user. tests/deploy checks that mapping against the binaries of the build.

ARG DEBIAN_RELEASE=12.11

FROM debian:${DEBIAN_RELEASE} AS build
ENV DEBIAN_FRONTEND=noninteractive
# Keep in step with the C++ part of apt_packages in scripts/install-deps.sh.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates \
      librdkafka-dev prometheus-cpp-dev libsimdjson-dev libzstd-dev libsnappy-dev \
      libcurl4-openssl-dev libssl-dev libexpat1-dev libcli11-dev libgtest-dev libbenchmark-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build --target edgestream-simulator edgestream-processor edgestream-archiver \
 && mkdir -p /out/bin \
 && for binary in edgestream-simulator edgestream-processor edgestream-archiver; do \
      test -x "/build/bin/$binary" || { echo "missing /build/bin/$binary" >&2; exit 1; }; \
      install -m 0755 -s "/build/bin/$binary" /out/bin/; \
    done \
 && tools/runtime-packages.sh /out/bin/* > /out/runtime-packages.txt \
 && echo "runtime packages:" && cat /out/runtime-packages.txt

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
# tzdata is not needed: every timestamp is UTC (RFC 3339 with Z).
RUN apt-get update \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 65532 edgestream \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin edgestream \
 && install -d -o 65532 -g 65532 -m 0750 /var/spool/edgestream

COPY --from=build /out/bin/ /usr/local/bin/

# Numeric, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 65532:65532
ENV EDGESTREAM_METRICS_ADDRESS=0.0.0.0:9464 \
    EDGESTREAM_ARCHIVER_SPOOL_DIR=/var/spool/edgestream
EXPOSE 9464
# No default binary: the chart (or docker run) names one of the three.
ENTRYPOINT []
CMD ["edgestream-processor", "--help"]

LABEL org.opencontainers.image.title="edgestream" \
      org.opencontainers.image.description="edgestream simulator, processor and archiver"
