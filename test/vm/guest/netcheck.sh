#!/bin/sh
# Guest side of netcheck.sh: serve a page on :8080 for the host to fetch
# through hostfwd, then wait (at most 120 s) until the host connects to :9000
# to say it is done. This is the pattern a host-driven test follows: the
# guest keeps its server up until the host side has finished with it.
set -eu
mkdir -p /tmp/www
echo "hello from the $(uname -m) guest" >/tmp/www/index.html
httpd -p 8080 -h /tmp/www
ip -4 addr show dev eth0 | grep inet
echo "guest: serving on :8080, waiting for the host on :9000"
timeout 120 nc -l -p 9000 </dev/null >/dev/null
echo "guest: host is done"
