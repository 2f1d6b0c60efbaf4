#!/usr/bin/env bash
# scripts/fresh-debian.sh — run a command in a clean clone of this repository inside a fresh
# minimal Debian 12 root (debootstrap --variant=minbase bookworm + chroot), as root.
#
#   scripts/fresh-debian.sh [--keep] 'COMMAND'
#
# This is what a new user's machine has: no compiler, no curl, no uuid-dev. CI runs the README's
# Quick start commands through it, so a package that only the development image provides turns CI
# red instead of reaching users (issue 7).
#
# - The clone is of the committed HEAD (`git clone`), so uncommitted changes are not tested.
# - The minbase root is cached as a tarball in ${MLPC_FRESH_CACHE:-/var/tmp} (debootstrap takes a
#   minute or two); every run unpacks a new root from it.
# - The root is unmounted and deleted when the command ends (--keep keeps it and prints its path).
# Exit status: that of COMMAND (or 2 for bad usage, 3 when the root cannot be made).
set -euo pipefail

KEEP=0
if [ "${1:-}" = --keep ]; then
  KEEP=1
  shift
fi
if [ $# -ne 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
  [ $# -eq 1 ] && exit 0
  exit 2
fi
COMMAND=$1

if [ "$(id -u)" != 0 ]; then
  echo "fresh-debian.sh: must run as root (debootstrap, mount and chroot need it)" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "fresh-debian.sh: debootstrap is not installed (apt-get install debootstrap)" >&2
  exit 2
fi

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MLPC_FRESH_CACHE:-/var/tmp}
BASE=$CACHE/mlpc-fresh-bookworm-minbase.tgz

# The mirror this machine's apt uses (deb822 sources first, then the one-line format).
mirror() {
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

if [ ! -s "$BASE" ]; then
  echo "[fresh] debootstrap --variant=minbase bookworm ($(mirror)) ..."
  boot=$(mktemp -d "$CACHE/mlpc-fresh-boot.XXXXXX")
  if ! debootstrap --variant=minbase bookworm "$boot/root" "$(mirror)" >"$boot/debootstrap.log" 2>&1; then
    echo "fresh-debian.sh: debootstrap failed; the end of its log:" >&2
    tail -20 "$boot/debootstrap.log" >&2
    exit 3
  fi
  tar -C "$boot/root" -czf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE"
  rm -rf "$boot"
fi

ROOT=$(mktemp -d "$CACHE/mlpc-fresh-root.XXXXXX")
MOUNTS=()
cleanup() {
  local i
  # Unmount in reverse order; never delete a root while anything is mounted in it (its /dev is
  # the host's /dev).
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount -R "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null || true
  done
  if [ "$KEEP" = 1 ]; then
    echo "[fresh] root kept at $ROOT"
  elif ! grep -q " $ROOT/" /proc/mounts; then
    rm -rf "$ROOT"
  else
    echo "fresh-debian.sh: $ROOT still has mounts; not deleting it" >&2
  fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

tar -C "$ROOT" -xzf "$BASE"
echo "[fresh] root: $ROOT"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && cp "$f" "$ROOT$f"
done
# This machine's own CA certificates (an HTTPS proxy's, say), so that what the command fetches over
# HTTPS (npm in editors/vscode) is trusted as it is here. ca-certificates' postinst, when the
# command installs it, adds them to the root's /etc/ssl/certs; a root that already has it gets
# update-ca-certificates now.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
  if [ -x "$ROOT/usr/sbin/update-ca-certificates" ]; then
    chroot "$ROOT" /usr/sbin/update-ca-certificates >/dev/null
  fi
fi
mkdir -p "$ROOT/src"
git clone -q "$REPO" "$ROOT/src/mlpc"

bind() { # bind SRC DEST-inside-root
  mkdir -p "$ROOT$2"
  mount --bind "$1" "$ROOT$2"
  MOUNTS+=("$ROOT$2")
}
mount -t proc proc "$ROOT/proc"
MOUNTS+=("$ROOT/proc")
# A real machine has sysfs; without it slurmd cannot read the CPU topology and exits (hwloc).
mkdir -p "$ROOT/sys"
if mount -t sysfs sysfs "$ROOT/sys" 2>/dev/null; then
  MOUNTS+=("$ROOT/sys")
else
  bind /sys /sys
fi
# A real machine (systemd) also has its cgroup hierarchy mounted there; slurmd 22.05 initialises
# its cgroup plugin even with proctrack/linuxproc and task/none, and exits without it ("No
# filesystem mounted on /sys/fs/cgroup"). A fresh sysfs mount does not bring it.
# Recursive (--rbind): with cgroup v1 the controllers are mounts below it (slurmd: "Unexpected fs
# type on /sys/fs/cgroup/systemd" otherwise).
if mountpoint -q /sys/fs/cgroup && ! mountpoint -q "$ROOT/sys/fs/cgroup"; then
  mkdir -p "$ROOT/sys/fs/cgroup"
  mount --rbind /sys/fs/cgroup "$ROOT/sys/fs/cgroup"
  # A slave copy: where the host's mounts are shared, unmounting the copy's controllers at the
  # end must not unmount the host's.
  mount --make-rslave "$ROOT/sys/fs/cgroup"
  MOUNTS+=("$ROOT/sys/fs/cgroup")
fi
bind /dev /dev
bind /dev/pts /dev/pts

echo "[fresh] running: $COMMAND"
set +e
# A real Debian machine resolves its own name (the installer writes it to /etc/hosts); munged
# and slurmd look it up. debootstrap leaves it out.
if ! grep -qw "$(hostname)" "$ROOT/etc/hosts" 2>/dev/null; then
  printf '127.0.1.1\t%s\n' "$(hostname)" >> "$ROOT/etc/hosts"
fi
# MLPC_FRESH_ROOT=1 tells tests they run in this chroot (e2e_slurm: see its header).
chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 MLPC_FRESH_ROOT=1 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /bin/bash -c "cd /src/mlpc && $COMMAND"
rc=$?
set -e
echo "[fresh] exit status $rc"
exit "$rc"
