#!/bin/sh
# san-client: the SAN's client on node3 (copied there by san-lib.sh; not a scenario: no NN- prefix).
#   san-client write blk|file TARGET LOG   write numbered 64 KiB blocks of fresh random data to the block
#       device TARGET (block N at offset N*64 KiB, O_DIRECT+O_DSYNC) or to files TARGET/wN (fsync), until
#       LOG.stop exists; after each write acknowledged as durable append "N SHA256 UNIXTIME" to LOG, after
#       each failed one "N failed UNIXTIME" to LOG.err.
#   san-client verify blk|file TARGET LOG  read back every block LOG lists (caches dropped, O_DIRECT for
#       the device) and compare checksums: prints "N acknowledged writes, M differ", exits 1 if M > 0.
set -u
cmd=$1 kind=$2 target=$3 log=$4
case $cmd in
write)
  : > "$log"; : > "$log.err"; rm -f "$log.stop"
  i=0
  while [ ! -e "$log.stop" ]; do
    head -c 65536 /dev/urandom > "$log.blk"
    if [ "$kind" = blk ]; then
      dd if="$log.blk" of="$target" bs=65536 seek=$i count=1 oflag=direct,dsync conv=notrunc status=none 2>>"$log.err"
    else
      dd if="$log.blk" of="$target/w$i" bs=65536 count=1 conv=fsync status=none 2>>"$log.err"
    fi
    if [ $? -eq 0 ]; then
      echo "$i $(sha256sum < "$log.blk" | cut -d' ' -f1) $(date +%s)" >> "$log"
    else
      echo "$i failed $(date +%s)" >> "$log.err"
    fi
    i=$((i + 1))
    sleep 0.5
  done
  ;;
verify)
  sync; echo 3 > /proc/sys/vm/drop_caches
  n=0 bad=0
  while read -r i sum t; do
    if [ "$kind" = blk ]; then
      got=$(dd if="$target" bs=65536 skip="$i" count=1 iflag=direct status=none | sha256sum | cut -d' ' -f1)
    else
      got=$(sha256sum < "$target/w$i" | cut -d' ' -f1)
    fi
    [ "$got" = "$sum" ] || { echo "write $i (acknowledged at $t) differs"; bad=$((bad + 1)); }
    n=$((n + 1))
  done < "$log"
  echo "$n acknowledged writes, $bad differ"
  [ "$bad" -eq 0 ] && [ "$n" -gt 0 ]
  ;;
*) echo "usage: san-client write|verify blk|file TARGET LOG" >&2; exit 2 ;;
esac
