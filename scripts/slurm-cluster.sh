#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 for tests and CI, from Debian's packages. Nothing is written to /etc: the
# config, munge key, state, spool, pid and log files all live under one directory (default /tmp/goodhart-slurm).
#
#   scripts/slurm-cluster.sh start [DIR]   install the packages if missing, write the config, start munged,
#                                          slurmctld and slurmd, wait until the node is idle; prints SLURM_CONF=…
#   scripts/slurm-cluster.sh stop [DIR]    stop the three daemons this script started (by their pid files)
#   scripts/slurm-cluster.sh status [DIR]  sinfo of the cluster
#   scripts/slurm-cluster.sh env [DIR]     prints `export SLURM_CONF=…` for eval
#
# Why the settings (see the Slurm facts measured on these machines):
#   - no systemd and policy-rc.d blocks service starts, so the daemons are started by hand here;
#   - the host name is not "localhost", so slurmd is started with -N localhost;
#   - batch_sched_delay=0,sched_min_interval=0: the default 3 s between scheduling waves would dominate the tests;
#   - SlurmdTimeout=10: a node that dies with its jobs is noticed (and its jobs requeued) in seconds, not minutes;
#   - the node declares 4 CPUs on a 2-core machine (config_overrides) so up to four one-CPU tasks run at once, as
#     the local executor's parallel tasks share cores;
#   - SlurmUser/SlurmdUser root: the daemons run as the user who starts them (CI runs as root here);
#   - MinJobAge=600 keeps finished jobs visible to squeue/scontrol while the runner polls.
set -euo pipefail

command="${1:-}"
DIR="${2:-${GOODHART_SLURM_DIR:-/tmp/goodhart-slurm}}"
CONF="$DIR/etc/slurm.conf"
CPUS="${GOODHART_SLURM_CPUS:-4}"
# slurmctld listens on PORT and slurmd on PORT+1 (Slurm's defaults); another cluster on this host needs other ports.
PORT="${GOODHART_SLURM_PORT:-6817}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return
  fi
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
}

# A killed daemon may linger as a zombie when PID 1 does not reap orphans (no systemd here): that counts as dead.
process_alive() { [ -e "/proc/$1" ] && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$1/stat" 2>/dev/null; }
pid_alive() { [ -f "$1" ] && process_alive "$(cat "$1")"; }

write_config() {
  mkdir -p "$DIR"/{etc,state,spool,log,run,munge/run}
  chmod 0700 "$DIR/munge"
  if [ ! -f "$DIR/munge/munge.key" ]; then
    head -c 1024 /dev/urandom >"$DIR/munge/munge.key"
    chmod 0400 "$DIR/munge/munge.key"
  fi
  # Kept when it exists: a restart (after a test crashed slurmd, say) reuses the cluster's own settings and port.
  [ -f "$CONF" ] && return
  local memory
  memory=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  cat >"$CONF" <<EOF
ClusterName=goodhart
SlurmctldHost=localhost
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/run/munge.socket
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd-%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.log
MailProg=/bin/true
ReturnToService=2
MinJobAge=600
KillWait=5
SlurmdTimeout=10
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  install_packages
  write_config
  if ! pid_alive "$DIR/munge/run/munged.pid"; then
    munged --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/run/munge.socket" \
      --pid-file="$DIR/munge/run/munged.pid" --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed" --force
  fi
  pid_alive "$DIR/run/slurmctld.pid" || slurmctld -f "$CONF"
  pid_alive "$DIR/run/slurmd.pid" || slurmd -f "$CONF" -N localhost
  export SLURM_CONF="$CONF"
  for _ in $(seq 1 100); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
      echo "SLURM_CONF=$CONF"
      return
    fi
    sleep 0.2
  done
  echo "the Slurm node did not become idle within 20 s; logs in $DIR/log" >&2
  sinfo >&2 || true
  exit 1
}

stop_daemon() {
  local pidfile="$1"
  if pid_alive "$pidfile"; then
    local pid
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 1 50); do process_alive "$pid" || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

stop() {
  stop_daemon "$DIR/run/slurmd.pid"
  stop_daemon "$DIR/run/slurmctld.pid"
  stop_daemon "$DIR/munge/run/munged.pid"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  status) SLURM_CONF="$CONF" sinfo ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *)
    echo "usage: $0 start|stop|status|env [DIR]" >&2
    exit 2
    ;;
esac
