#!/bin/sh
# Rebuilds examples/hello.tar, a tiny root file system, byte-for-byte
# reproducibly: fixed names, modes, owners and times, sorted members, and no
# atime/ctime records (GNU tar's PAX headers would otherwise carry them).
# Needs GNU tar (for --sort and --pax-option).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/examples/hello.tar"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

root="$work/rootfs"
mkdir -p "$root/etc" "$root/usr/bin" "$root/usr/lib" "$root/tmp" "$root/var/empty"

cat > "$root/usr/lib/os-release" <<'RELEASE'
NAME="Hello Linux"
ID=hello
VERSION_ID=1.0
PRETTY_NAME="Hello Linux 1.0 (an oci2erofs example)"
RELEASE
# The usual layout: /etc/os-release is a relative symlink into /usr/lib.
ln -s ../usr/lib/os-release "$root/etc/os-release"
echo hello > "$root/etc/hostname"

cat > "$root/usr/bin/hello" <<'SCRIPT'
#!/bin/sh
# Greets whoever runs it, from inside the EROFS image.
. /etc/os-release
echo "Hello from $PRETTY_NAME!"
SCRIPT

chmod 0755 "$root" "$root/etc" "$root/usr" "$root/usr/bin" "$root/usr/lib" "$root/var" "$root/var/empty"
chmod 0644 "$root/usr/lib/os-release" "$root/etc/hostname"
chmod 0755 "$root/usr/bin/hello"
chmod 1777 "$root/tmp"

mkdir -p "$here/examples"
tar -C "$root" -cf "$out.tmp" \
  --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
  --format=posix --pax-option=delete=atime,delete=ctime \
  .
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
