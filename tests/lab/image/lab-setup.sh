#!/bin/sh
# Per-node identity from the kernel command line (the image is the same for every node):
#   lab.host=NAME lab.ip=ADDR/PREFIX lab.hostid=8HEX lab.hosts=name:ip,name:ip,...
# machine-id comes from systemd.machine_id= on the same command line.
HOST= IP= HID= HOSTS=
for w in $(cat /proc/cmdline); do
  case "$w" in
    lab.host=*)   HOST=${w#lab.host=} ;;
    lab.ip=*)     IP=${w#lab.ip=} ;;
    lab.hostid=*) HID=${w#lab.hostid=} ;;
    lab.hosts=*)  HOSTS=${w#lab.hosts=} ;;
  esac
done
if [ -n "$HOST" ]; then echo "$HOST" > /etc/hostname; hostname "$HOST"; fi
if [ -n "$HID" ]; then rm -f /etc/hostid; zgenhostid -f "$HID"; fi
{ echo "127.0.0.1 localhost"
  for p in $(echo "$HOSTS" | tr , ' '); do echo "${p#*:} ${p%%:*}"; done
} > /etc/hosts
ip link set lo up
if [ -n "$IP" ]; then
  modprobe virtio_net 2>/dev/null
  i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  ip link set eth0 up
  ip addr add "$IP" dev eth0
fi
if [ -n "$HOST" ]; then
  mkdir -p /etc/iscsi
  echo "InitiatorName=iqn.2024-01.local.lab:$HOST" > /etc/iscsi/initiatorname.iscsi
fi
exit 0
