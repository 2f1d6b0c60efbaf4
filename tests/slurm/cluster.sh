#!/usr/bin/env bash
# tests/slurm/cluster.sh start|stop DIR — a private single-node Slurm cluster for the tests:
# munged, slurmctld and slurmd on 127.0.0.1, with every file (config, munge key and socket,
# state, spool, logs, pid files) under DIR and nothing in /etc or /var.
#
#   start DIR   starts the three daemons on free ports and returns once the node takes jobs;
#               prints `export SLURM_CONF=…` (also in DIR/env.sh). DIR must be short: unix socket
#               paths (munge's, slurmstepd's under the spool) are limited to 108 bytes.
#   stop DIR    cancels the cluster's jobs, stops the daemons by their pid files (SIGTERM, then
#               SIGKILL after 10 s) and leaves DIR in place.
#
# Why the configuration looks as it does (measured on these machines, see docs/slurm.md):
#   - SchedulerParameters without delays and an Epilog: a finished job wakes the scheduler at
#     once (otherwise freed CPUs wait for a 1 s tick and jobs start seconds late);
#   - proctrack/linuxproc and task/none: the cgroup plugins fail in containers (the node drains);
#   - cons_tres with CR_CPU: 1-CPU jobs share the node; EnforcePartLimits=ALL refuses an
#     impossible request at submission instead of leaving it pending forever;
#   - no slurmdbd (no sacct): finished jobs stay visible to squeue for MinJobAge seconds.
set -euo pipefail

cmd=${1:-}
D=${2:-}
[ -n "$cmd" ] && [ -n "$D" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
mkdir -p "$D"
D=$(cd "$D" && pwd -P)
CONF=$D/etc/slurm.conf
export SLURM_CONF=$CONF

# alive PIDFILE COMM: the pid in PIDFILE is a live process named COMM (not a zombie, not a
# reused pid). PID 1 reaps slowly in containers, so /proc/PID/stat, not kill -0.
alive() {
  local pid st
  [ -s "$1" ] || return 1
  pid=$(tr -dc 0-9 < "$1")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = "$2" ] || return 1
  st=$(awk '{print $3}' "/proc/$pid/stat" 2> /dev/null) || return 1
  [ "$st" != Z ] && [ "$st" != X ]
}

stop() {
  if alive "$D/run/slurmctld.pid" slurmctld; then
    scancel --full -u "$(id -un)" 2> /dev/null || true
  fi
  local d pid
  for d in slurmd slurmctld munged; do
    alive "$D/run/$d.pid" "$d" || continue
    pid=$(tr -dc 0-9 < "$D/run/$d.pid")
    kill -TERM "$pid" 2> /dev/null || true
    for _ in $(seq 100); do alive "$D/run/$d.pid" "$d" || break; sleep 0.1; done
    alive "$D/run/$d.pid" "$d" && kill -KILL "$pid" 2> /dev/null || true
  done
  return 0
}

start() {
  local node me user slurmd_user hw
  node=$(hostname -s)
  if [ $((${#D} + ${#node})) -gt 60 ]; then
    echo "cluster.sh: $D is too long for unix socket paths (use a short one, e.g. /tmp/mlpc-slurm)" >&2
    exit 1
  fi
  for b in munged slurmctld slurmd sinfo; do
    command -v "$b" > /dev/null || [ -x "/usr/sbin/$b" ] ||
      { echo "cluster.sh: $b is not installed (./setup.sh installs slurm-wlm and munge)" >&2; exit 1; }
  done
  me=$(id -un)
  user=$me
  slurmd_user=$me
  [ "$(id -u)" = 0 ] && slurmd_user=root
  mkdir -p "$D"/etc "$D"/munge/key "$D"/log "$D"/run "$D"/spool/ctld "$D"/spool/d
  chmod 755 "$D" "$D"/etc "$D"/munge "$D"/log "$D"/run "$D"/spool
  chmod 700 "$D"/munge/key
  # Two free ports for slurmctld and slurmd (tests may run beside another cluster).
  read -r p1 p2 < <(/usr/bin/python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
  # slurmd's own view of the hardware, so that the node definition matches (else it drains).
  hw=$(/usr/sbin/slurmd -C | head -1)
  val() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<< "$hw"; }
  cat > "$CONF" << CONF
# written by tests/slurm/cluster.sh: a private single-node test cluster
ClusterName=mlpc
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$p1
SlurmdPort=$p2
SlurmUser=$user
SlurmdUser=$slurmd_user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket.2
StateSaveLocation=$D/spool/ctld
SlurmdSpoolDir=$D/spool/d
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
PlugStackConfig=$D/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$D/log/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=0,batch_sched_delay=0,bf_interval=1,default_queue_depth=1000
Epilog=/bin/true
DependencyParameters=kill_invalid_depend
ReturnToService=2
KillWait=2
OverTimeLimit=0
MinJobAge=600
MessageTimeout=10
SlurmdTimeout=60
InactiveLimit=0
EnforcePartLimits=ALL
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(val CPUs) Sockets=$(val SocketsPerBoard) CoresPerSocket=$(val CoresPerSocket) ThreadsPerCore=$(val ThreadsPerCore) RealMemory=$(val RealMemory) State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
  : > "$D/etc/plugstack.conf"
  echo "export SLURM_CONF=$CONF" > "$D/env.sh"
  [ -s "$D/munge/key/munge.key" ] || /usr/sbin/mungekey -c -k "$D/munge/key/munge.key"
  local sock=$D/munge/munge.socket.2
  if ! alive "$D/run/munged.pid" munged; then
    rm -f "$sock" "$sock.lock"
    /usr/sbin/munged --socket="$sock" --key-file="$D/munge/key/munge.key" \
      --log-file="$D/munge/munged.log" --pid-file="$D/run/munged.pid" \
      --seed-file="$D/munge/key/munged.seed"
  fi
  for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
  local d
  for d in slurmctld slurmd; do
    alive "$D/run/$d.pid" "$d" && continue
    rm -f "$D/run/$d.pid"
    if [ $d = slurmd ]; then /usr/sbin/slurmd -f "$CONF" -N "$node"; else /usr/sbin/slurmctld -f "$CONF"; fi
    for _ in $(seq 100); do alive "$D/run/$d.pid" "$d" && break; sleep 0.1; done
    alive "$D/run/$d.pid" "$d" ||
      { echo "cluster.sh: $d did not start; its log ends:" >&2; tail -20 "$D/log/$d.log" >&2; stop; exit 1; }
  done
  local st
  for _ in $(seq 300); do
    st=$(sinfo -h -n "$node" -o %T 2> /dev/null || true)
    case "$st" in idle | mixed | allocated | completing) echo "export SLURM_CONF=$CONF"; return 0 ;; esac
    sleep 0.2
  done
  echo "cluster.sh: the node did not become usable (state '$st')" >&2
  sinfo -R >&2 || true
  stop
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
