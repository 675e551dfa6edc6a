#!/usr/bin/env bash
# shellcheck disable=SC2119  # wg_project without arguments: a plain `wg init`
# Scenario dispatcher_boot_no_orphan_supervisor (owners: rename-dispatcher-daemon,
# bug-a-regression-test). Bug A: booting the dispatcher (again) left an
# orphan supervisor, or a ghost state file claiming a dead one still runs.
# Boot it, start it a second time, stop it, and count what is left.
#
# Relies on: wg init, wg service start|stop|status --json (with "running" and
# "pid"); a second `wg service start` must find the running service.
# Processes are counted among those this scenario started (scenario_pids).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=helpers.sh
source "${SMOKE_MANIFEST_DIR:-$(cd "$(dirname "$0")/.." && pwd)}/scenarios/helpers.sh"
# shellcheck source-path=SCRIPTDIR source=lib/wg.sh
source "${SMOKE_MANIFEST_DIR:-$(cd "$(dirname "$0")/.." && pwd)}/scenarios/lib/wg.sh"

# The dispatcher's processes: the daemon and its supervisor, whatever they are called.
supervisor_re='(^|[ /])wg .*(service|daemon|supervisor|dispatch)'

count_supervisors() {
    scenario_pids "$supervisor_re" | grep -c . || true
}

no_supervisors_left() {
    [[ "$(count_supervisors)" == 0 ]]
}

wg_project
wg_service_start
pid="$(wg service status --json | json_get pid)"
echo "boot: service running pid=$pid"
echo "supervisors after boot: $(count_supervisors)"

# A second start must find the running one, not spawn another.
wg service start >&2 || true
sleep 1
echo "supervisors after second start: $(count_supervisors)"

wg service stop >&2
wait_until 20 no_supervisors_left || true
if wg_service_running; then
    echo "stop: service still running"
else
    echo "stop: service stopped"
fi
echo "orphans after stop: $(count_supervisors)"

# A ghost: status that still names a process which is gone.
ghost="none"
if [[ "$(wg service status --json 2>/dev/null | json_get running 2>/dev/null || true)" == true ]]; then
    ghost="status claims running"
elif kill -0 "$pid" 2>/dev/null; then
    ghost="pid $pid still alive"
fi
echo "ghost state after stop: $ghost"
