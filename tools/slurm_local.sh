#!/usr/bin/env bash
# A single-node Slurm cluster on localhost, for the Slurm integration test (tools/test_slurm.py).
#   bash tools/slurm_local.sh start    install slurm-wlm + munge if missing (Debian, root), configure, start munged, slurmctld, slurmd
#   bash tools/slurm_local.sh stop     stop the three daemons
#   bash tools/slurm_local.sh status   sinfo
# Exit status 3 (with the reason on stdout) when this machine cannot run Slurm: not root, or no apt-get to install it.
set -uo pipefail
cmd="${1:-status}"
CONF=/etc/slurm/slurm.conf
STATE=/var/spool/subnet_nb-slurm
LOGS=/var/log/subnet_nb-slurm

cannot() { echo "SKIP: $*"; exit 3; }

install() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null && return 0
  [ "$(id -u)" = 0 ] || cannot "slurm-wlm is not installed and installing it needs root"
  command -v apt-get >/dev/null || cannot "slurm-wlm is not installed and there is no apt-get to install it"
  echo "== installing slurm-wlm and munge (Debian packages)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge) >/dev/null 2>&1 \
    || cannot "apt-get install slurm-wlm munge failed"
}

configure() {
  local host node mem
  host="$(hostname -s)"
  # the node's real CPUs/sockets/cores/threads as slurmd sees them, memory with a margin
  node="$(slurmd -C 2>/dev/null | head -1 | sed -E 's/RealMemory=[0-9]+//')"
  mem=$(( $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) * 3 / 4 ))
  mkdir -p /etc/slurm "$STATE/ctld" "$STATE/d" "$LOGS"
  cat > "$CONF" <<EOF
# written by subnet_nb tools/slurm_local.sh: a single-node test cluster
ClusterName=subnetnb
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
KillWait=5
$node RealMemory=$mem NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  fi
  chown -R munge:munge /etc/munge 2>/dev/null; chmod 700 /etc/munge; chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge; chown munge:munge /run/munge /var/lib/munge /var/log/munge
}

start() {
  [ "$(id -u)" = 0 ] || cannot "starting slurmctld and slurmd needs root"
  install
  configure
  pgrep -x munged >/dev/null || runuser -u munge -- munged || { echo "FAILED: munged did not start"; exit 1; }
  pgrep -x slurmctld >/dev/null || slurmctld || { echo "FAILED: slurmctld did not start; see $LOGS/slurmctld.log"; exit 1; }
  pgrep -x slurmd >/dev/null || slurmd || { echo "FAILED: slurmd did not start; see $LOGS/slurmd.log"; exit 1; }
  for _ in $(seq 60); do
    state="$(sinfo -h -o %T 2>/dev/null | head -1)"
    case "$state" in idle*|mixed*|allocated*) echo "slurm is up: $(sinfo -h -o '%P %D %T %c CPUs %m MB')"; return 0 ;; esac
    sleep 1
  done
  echo "FAILED: the node did not become idle (state: ${state:-none}); see $LOGS"; tail -5 "$LOGS/slurmctld.log" "$LOGS/slurmd.log"; exit 1
}

stop() {
  scontrol shutdown >/dev/null 2>&1
  for _ in $(seq 20); do pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || break; sleep 0.5; done
  pkill -x slurmd 2>/dev/null; pkill -x slurmctld 2>/dev/null; pkill -x munged 2>/dev/null
  echo "slurm stopped"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) sinfo 2>&1 ;;
  *) echo "usage: bash tools/slurm_local.sh start|stop|status"; exit 2 ;;
esac
