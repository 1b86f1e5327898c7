# scanorch (.rpm) %post: the service account, the state directory and the
# units' environment file; the same steps as the .deb's postinst.
if ! getent passwd scanorch >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/scanorch --no-create-home \
        --shell /sbin/nologin --comment "scanorch daemon" scanorch || :
fi
mkdir -p /var/lib/scanorch
chown scanorch:scanorch /var/lib/scanorch || :
chmod 0750 /var/lib/scanorch
env_file=/etc/scanorch/scanorch.env
if [ ! -e "$env_file" ]; then
    key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    ( umask 077
      { echo "# Environment of the scanorchd units. Every API and worker host of one"
        echo "# deployment needs the same SCANORCH_CREDENTIAL_KEY."
        echo "SCANORCH_CREDENTIAL_KEY=$key"
        echo "# Scale-out (scanorchd-api, scanorchd-worker@): the same on every host."
        echo "# REDIS_URL=redis://:PASSWORD@redis.example.com:6379/0"
        echo "# DATABASE_URL=postgresql://scanorch:PASSWORD@db.example.com:5432/scanorch?sslmode=verify-full"; } >"$env_file.tmp" && mv "$env_file.tmp" "$env_file" )
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || :; fi
