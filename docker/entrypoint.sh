#!/bin/sh
# Entrypoint of the collector image: `node /app/dist/cli.js "$@"`, exec'd (node is PID 1 and handles
# SIGTERM/SIGHUP itself), after one check on the state directory.
#
# - As uid 1000 (the image's USER, compose's `user:`): a state dir it cannot write (typically a bind
#   mount of a root-owned host directory) is refused with one line naming the fix, exit 2, before
#   any work, instead of an EACCES on /data/.lock later.
# - As root (`--user 0`, compose `user: "0"`), on purpose: the state dir is handed to node (only
#   entries not already owned by it) and root is dropped for good (setpriv, no new privileges).
set -eu
# What dist/cli.js's shebang passes when it is run as a command (src/cli.ts says why): the young
# generation's cap, and two malloc arenas unless the container's environment names another number.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
state=${STATE_DIR:-/data}
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$state"
  find "$state" \( ! -user node -o ! -group node \) -exec chown node:node {} +
  exec setpriv --reuid=node --regid=node --init-groups --no-new-privs -- node --max-semi-space-size=4 /app/dist/cli.js "$@"
fi
case "${1:-run}" in
  run | once | backfill)
    if [ -e "$state" ] && { [ ! -d "$state" ] || [ ! -w "$state" ] || [ ! -x "$state" ]; }; then
      echo "cdn-origin-collector: state dir $state (owner uid $(stat -c %u "$state")) is not writable by uid $(id -u): chown -R $(id -u):$(id -g) the host directory, or start the container as root (--user 0) once and the entrypoint hands it over to uid 1000" >&2
      exit 2
    fi
    ;;
esac
exec node --max-semi-space-size=4 /app/dist/cli.js "$@"
