# PostgreSQL for compose.yml (postgres-store: tasks and findings of every API
# and worker container), built from Debian's own postgresql package, so the
# stack needs no image registry and the server is the one Debian 12 patches.
#   docker build -f packaging/docker/postgres.Dockerfile -t scanorch-postgres packaging/docker
# compose.yml builds it by itself when the image is missing.
FROM debian:bookworm-slim
# No cluster at install time: the entrypoint makes one in the volume on the
# first start, with the role and password of the env file.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/no-main-cluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && mkdir -p /var/lib/postgresql/data && chown postgres:postgres /var/lib/postgresql/data \
 && chmod 0700 /var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/scanorch-postgres
ENV PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
USER postgres
EXPOSE 5432
# SIGINT is PostgreSQL's fast shutdown (roll back, checkpoint, exit); SIGTERM
# would wait for every client to disconnect, and the scanorch pools never do.
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=5s --retries=10 CMD ["/usr/lib/postgresql/15/bin/pg_isready", "-q", "-h", "127.0.0.1", "-U", "scanorch", "-d", "scanorch"]
ENTRYPOINT ["/usr/local/bin/scanorch-postgres"]
