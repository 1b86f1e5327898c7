# scanorch (.rpm) %preun: on erase (not upgrade), stop the services first.
if [ "$1" = 0 ] && [ -d /run/systemd/system ]; then
    systemctl stop scanorchd.service scanorchd-api.service 'scanorchd-worker@*.service' >/dev/null 2>&1 || :
fi
