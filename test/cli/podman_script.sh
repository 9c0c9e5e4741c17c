#!/usr/bin/env bash
# A script written for podman (podman 4's flags, formats and exit codes, nothing
# else), run unchanged against wasmvisor by test/cli/podman_script.test.ts with
# `podman` on PATH naming bin/wasmvisor.js. IMAGE: a Wasm image whose PATH holds
# the probe program (test/runtime/fixtures/probe.c) and whose Entrypoint is it.
set -euo pipefail
IMAGE=${IMAGE:?set IMAGE to a Wasm image with probe on its PATH}
work=$(mktemp -d)
trap 'rm -rf "$work"; podman rm -f ctr >/dev/null 2>&1 || true' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

id=$(podman create --name ctr "$IMAGE" tick)
[[ $id =~ ^[0-9a-f]{64}$ ]] || fail "create printed '$id'"
[[ $(podman ps -a --filter name=ctr --format '{{.Status}}') == Created ]] || fail "not Created after create"
podman start ctr >/dev/null
[[ $(podman inspect -f '{{.State.Running}}' ctr) == true ]] || fail "not running after start"
for _ in $(seq 50); do podman logs ctr | grep -q '^tick 1$' && break; sleep 0.2; done
podman logs ctr | grep -q '^tick 0$' || fail "logs: no output"
podman logs -t --since 10m ctr | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2}) tick 0$' || fail "logs -t --since"
[[ $(podman logs --tail 1 --until 2000-01-01 ctr) == "" ]] || fail "logs --until before it ran"
set +e; podman logs --since yesterday ctr >/dev/null 2>&1; rc=$?; set -e
[[ $rc == 125 ]] || fail "logs with a bad --since exited $rc, not 125"

[[ $(podman exec ctr probe put /data.txt hello) == ok ]] || fail "exec"
set +e; podman exec ctr no-such-command 2>/dev/null; rc=$?; set -e
[[ $rc == 127 ]] || fail "exec of a missing command exited $rc, not 127"

stats=$(podman stats --no-stream --format '{{.Name}} {{.PIDs}}' ctr)
[[ $stats == "ctr 1" ]] || fail "stats: '$stats'"
podman stats --no-stream --format '{{.MemUsage}}' ctr | grep -Eq '^[0-9.]+[kMG]?B / [0-9.]+[kMGT]?B$' || fail "stats MemUsage"

podman cp ctr:/data.txt "$work/data.txt"
[[ $(cat "$work/data.txt") == hello ]] || fail "cp out of the container"
echo from-host > "$work/in.txt"
podman cp "$work/in.txt" ctr:/in.txt
[[ $(podman exec ctr probe show /in.txt) == from-host ]] || fail "cp into the container"

podman diff ctr | grep -qx 'A /data.txt' || fail "diff lacks A /data.txt"
podman diff ctr | grep -qx 'A /in.txt' || fail "diff lacks A /in.txt"

image_id=$(podman commit -q ctr localhost/committed:1)
[[ $image_id =~ ^[0-9a-f]{64}$ ]] || fail "commit printed '$image_id'"
podman images --format '{{.Repository}}:{{.Tag}}' | grep -qx 'localhost/committed:1' || fail "images lacks the commit"

podman stop -t 2 ctr >/dev/null
[[ $(podman inspect -f '{{.State.Status}}' ctr) == exited ]] || fail "not exited after stop"
# an exited container keeps its files until rm
podman diff ctr | grep -qx 'A /data.txt' || fail "diff after stop lacks A /data.txt"
podman cp ctr:/in.txt "$work/in-again.txt"
[[ $(cat "$work/in-again.txt") == from-host ]] || fail "cp out of the exited container"
set +e; podman start no-such-container >/dev/null 2>&1; rc=$?; set -e
[[ $rc == 125 ]] || fail "start of a missing container exited $rc, not 125"
[[ $(podman ps -a --filter name=ctr --format '{{.Names}}') == ctr ]] || fail "ps -a lost the stopped container"
podman rm ctr >/dev/null
set +e; podman inspect ctr >/dev/null 2>&1; rc=$?; set -e
[[ $rc == 125 ]] || fail "inspect of a removed container exited $rc, not 125"

# the committed image runs with the container's change in it
[[ $(podman run --rm localhost/committed:1 show /data.txt) == hello ]] || fail "committed image lacks /data.txt"
echo PASS
