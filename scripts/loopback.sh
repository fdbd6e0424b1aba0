# Shell helpers for scripts that start their own servers on loopback (bench/aws/run.sh and
# bench/ansible/run.sh, through bench/aws/lib.sh). Sourced, not run; the caller sets $py to a
# Python 3 interpreter.

# free_port: print a TCP port on 127.0.0.1 that is free now.
free_port() {
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for URL: until it answers HTTP (any status) or 60 s pass; then fail, naming the URL and
# the calling script.
wait_for() {
    "$py" - "$1" "$(basename "$0")" <<'PY'
import sys, time, urllib.error, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=2).close()
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"{sys.argv[2]}: {sys.argv[1]} did not answer within 60 s")
        time.sleep(0.1)
PY
}
