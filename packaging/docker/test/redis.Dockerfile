# Redis for packaging/docker/test.sh, built from Debian's redis-server where no
# image registry is reachable. Production uses the official image (compose.yml's
# REDIS_IMAGE default); both run the compose file's `sh -c 'exec redis-server ...'`.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
