# scanorch (.rpm) %postun: on erase, drop the generated environment file (it
# holds the credential key); data in /var/lib/scanorch and the account stay.
if [ "$1" = 0 ]; then
    rm -f /etc/scanorch/scanorch.env
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || :; fi
