#!/bin/sh
# Rebuilds examples/busybox, the bundled example image: an OCI image layout
# (tag "latest", linux/amd64) with two gzip layers —
#   1. a busybox root file system: Debian's busybox-static with a symlink per
#      applet, /etc basics, a setuid-free /bin, a sticky /tmp;
#   2. an update: a new /etc/motd, a changed /etc/hostname, and a whiteout
#      deleting /etc/issue, so the example exercises layering too.
# Byte-reproducible for a given busybox binary: sorted members, fixed owners
# and times, no atime/ctime records, `gzip -n`. Needs GNU tar, gzip,
# sha256sum and busybox-static (installed with apt-get when missing).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/examples/busybox"
[ -x /bin/busybox ] || apt-get install -y busybox-static >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

tarball() { # DIR OUT.tar.gz
  tar -C "$1" --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner \
    --format=posix --pax-option=delete=atime,delete=ctime -cf - . | gzip -n -9 > "$2"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

base="$work/base"
mkdir -p "$base/bin" "$base/etc" "$base/root" "$base/tmp" "$base/var/log" "$base/proc" "$base/sys" "$base/dev"
cp /bin/busybox "$base/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$base/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$base/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$base/etc/group"
echo busybox > "$base/etc/hostname"
echo 'Welcome to an oci2erofs example' > "$base/etc/issue"
chmod 1777 "$base/tmp"
chmod 700 "$base/root"

top="$work/top"
mkdir -p "$top/etc"
echo 'This image was layered: /etc/issue is gone, /etc/motd is new.' > "$top/etc/motd"
echo busybox-2 > "$top/etc/hostname"
: > "$top/etc/.wh.issue"

rm -rf "$out"
mkdir -p "$out/blobs/sha256"
tarball "$base" "$work/l1.tar.gz"
tarball "$top" "$work/l2.tar.gz"
diff1=$(gzip -dc "$work/l1.tar.gz" | sha256sum | cut -d' ' -f1)
diff2=$(gzip -dc "$work/l2.tar.gz" | sha256sum | cut -d' ' -f1)
for l in l1 l2; do cp "$work/$l.tar.gz" "$out/blobs/sha256/$(sha "$work/$l.tar.gz")"; done

printf '%s' "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff1\",\"sha256:$diff2\"]},\"history\":[{\"created_by\":\"scripts/make-example-oci.sh: busybox\"},{\"created_by\":\"scripts/make-example-oci.sh: update\"}]}" > "$work/config.json"
cp "$work/config.json" "$out/blobs/sha256/$(sha "$work/config.json")"

printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$(sha "$work/config.json")\",\"size\":$(size "$work/config.json")},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$(sha "$work/l1.tar.gz")\",\"size\":$(size "$work/l1.tar.gz")},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$(sha "$work/l2.tar.gz")\",\"size\":$(size "$work/l2.tar.gz")}]}" > "$work/manifest.json"
cp "$work/manifest.json" "$out/blobs/sha256/$(sha "$work/manifest.json")"

printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$(sha "$work/manifest.json")\",\"size\":$(size "$work/manifest.json"),\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}}]}" > "$out/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$out/oci-layout"
du -sh "$out"
