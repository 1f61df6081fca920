#!/usr/bin/env bash
# An emulated edge cluster on one Linux machine (root): one network namespace per device behind a bridge, tbf rate
# limits on every device's uplink and downlink, a CPU quota per worker (cgroup v1 cpu.cfs_quota_us, or v2 cpu.max),
# and a one-way delay from the worker's own link shaper (this kernel may have no netem).
#
#   scripts/emulate-cluster.sh check                 # set up 3 workers, check tokens over the namespaces, tear down
#   scripts/emulate-cluster.sh experiment [TOKENS]   # slow one link 10x mid-generation, with and without re-planning
#   scripts/emulate-cluster.sh setup N | teardown    # the pieces
#   scripts/emulate-cluster.sh shape K RATE          # change device K's link rate (both directions), e.g. 10mbit
#   echo "MBIT DELAY_MS" > /tmp/headway-linkK          # change worker K's own shaper (delay; 0 Mbit/s = unshaped)
#
# Devices: hw-n0 is the coordinator (10.77.0.1), hw-nK worker K (10.77.0.K+1); hw-br holds the bridge. Addresses
# exist only inside these namespaces. Environment: HEADWAY (binary), MODEL, RATE (default 100mbit), CPU_SHARES
# (e.g. "1 0.5 0.5"), DELAY_MS (one-way, default 1), OUT (default out/emulation).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HEADWAY="${HEADWAY:-$root/.build/release/headway}"
MODEL="${MODEL:-$root/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
RATE="${RATE:-100mbit}"
DELAY_MS="${DELAY_MS:-1}"
CPU_SHARES="${CPU_SHARES:-1 0.6 0.6}"
OUT="${OUT:-$root/out/emulation}"
N_FILE=/tmp/headway-emulation.n

can_emulate() {
    [ "$(id -u)" = 0 ] || { echo "needs root"; return 1; }
    command -v ip >/dev/null && command -v tc >/dev/null || { echo "needs iproute2 (ip, tc)"; return 1; }
    ip netns add hw-probe 2>/dev/null || { echo "cannot create network namespaces here"; return 1; }
    local ok=0
    ip netns exec hw-probe ip link set lo up && ip netns exec hw-probe tc qdisc add dev lo root tbf rate 10mbit burst 64kb latency 100ms 2>/dev/null || ok=1
    ip netns del hw-probe
    [ $ok = 0 ] || { echo "no tbf qdisc in this kernel"; return 1; }
}

cgroup_dir() {  # cgroup for worker K (v1 cpu controller, else v2)
    if [ -d /sys/fs/cgroup/cpu ] && [ -f /sys/fs/cgroup/cpu/cpu.cfs_period_us ]; then echo "/sys/fs/cgroup/cpu/headway-w$1"
    elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo "/sys/fs/cgroup/headway-w$1"
    else echo ""; fi
}

set_cpu_share() {  # K SHARE: a quota of SHARE of one core, 10 ms period (short stalls)
    local dir; dir="$(cgroup_dir "$1")"
    [ -n "$dir" ] || { echo "no cpu cgroup controller: worker $1 runs unthrottled" >&2; return 0; }
    mkdir -p "$dir"
    local quota; quota=$(awk -v s="$2" 'BEGIN { printf "%d", s * 10000 }')
    if [ -f "$dir/cpu.cfs_period_us" ]; then
        echo 10000 > "$dir/cpu.cfs_period_us"; echo "$quota" > "$dir/cpu.cfs_quota_us"
    else
        echo "+cpu" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
        echo "$quota 10000" > "$dir/cpu.max"
    fi
}

shape() {  # K RATE: device K's uplink (its veth) and downlink (its switch port)
    ip netns exec "hw-n$1" tc qdisc replace dev "hw-v$1" root tbf rate "$2" burst 32kb latency 400ms
    ip netns exec hw-br tc qdisc replace dev "hw-p$1" root tbf rate "$2" burst 32kb latency 400ms
}

setup() {
    local n="$1"
    teardown >/dev/null 2>&1 || true
    ip netns add hw-br
    ip -n hw-br link add br0 type bridge
    ip -n hw-br link set br0 up
    ip -n hw-br link set lo up
    for k in $(seq 0 "$n"); do
        ip netns add "hw-n$k"
        ip link add "hw-v$k" type veth peer name "hw-p$k"
        ip link set "hw-v$k" netns "hw-n$k"
        ip link set "hw-p$k" netns hw-br
        ip -n hw-br link set "hw-p$k" master br0
        ip -n hw-br link set "hw-p$k" up
        ip -n "hw-n$k" addr add "10.77.0.$((k + 1))/24" dev "hw-v$k"
        ip -n "hw-n$k" link set "hw-v$k" up
        ip -n "hw-n$k" link set lo up
        shape "$k" "$RATE"
    done
    echo "$n" > "$N_FILE"
}

start_workers() {  # starts workers 1..N in their namespaces and cgroups; prints the --workers list
    local n="$1" list="" k=1
    mkdir -p "$OUT"
    for j in $(seq 1 "$n"); do echo "0 $DELAY_MS" > "/tmp/headway-link$j"; done
    for share in $CPU_SHARES; do
        [ "$k" -le "$n" ] || break
        ip netns exec "hw-n$k" "$HEADWAY" worker --listen "10.77.0.$((k + 1)):7450" --model "$MODEL" --threads 1 \
            --name "device$k" --link-profile "/tmp/headway-link$k" > "$OUT/worker$k.log" 2>&1 &
        local pid=$!
        set_cpu_share "$k" "$share"
        local dir; dir="$(cgroup_dir "$k")"
        if [ -n "$dir" ]; then echo "$pid" > "$dir/cgroup.procs" 2>/dev/null || echo "$pid" > "$dir/tasks"; fi
        echo "$pid" >> /tmp/headway-emulation.pids
        list="$list${list:+,}10.77.0.$((k + 1)):7450"
        k=$((k + 1))
    done
    for k in $(seq 1 "$n"); do  # wait until each listens
        for _ in $(seq 1 100); do grep -q "listening on" "$OUT/worker$k.log" 2>/dev/null && break; sleep 0.1; done
        grep -q "listening on" "$OUT/worker$k.log" || { echo "worker $k did not start:" >&2; cat "$OUT/worker$k.log" >&2; return 1; }
    done
    echo "$list"
}

teardown() {
    if [ -f /tmp/headway-emulation.pids ]; then
        while read -r pid; do kill "$pid" 2>/dev/null || true; done < /tmp/headway-emulation.pids
        rm -f /tmp/headway-emulation.pids
    fi
    local n; n="$(cat "$N_FILE" 2>/dev/null || echo 8)"
    for k in $(seq 0 "$n"); do ip netns del "hw-n$k" 2>/dev/null || true; done
    ip netns del hw-br 2>/dev/null || true
    for k in $(seq 1 "$n"); do d="$(cgroup_dir "$k")"; [ -n "$d" ] && rmdir "$d" 2>/dev/null || true; done
    rm -f "$N_FILE"
}

coordinator() {  # runs `headway generate` in the coordinator's namespace
    ip netns exec hw-n0 "$HEADWAY" generate --model "$MODEL" "$@"
}

case "${1:-}" in
    setup) setup "${2:-3}" ;;
    teardown) teardown ;;
    shape) shape "$2" "$3" ;;
    check)
        if ! why="$(can_emulate)"; then echo "emulate-cluster check: SKIPPED: $why"; exit 0; fi
        trap teardown EXIT
        setup 3
        workers="$(start_workers 3)"
        expected="$("$HEADWAY" generate --model "$MODEL" --max-tokens 24 --format json "The capital of France is" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"])')"
        got="$(coordinator --workers "$workers" --placement layers --force-migration-every 5 --max-tokens 24 --format json \
            "The capital of France is" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["tokens"])')"
        if [ "$got" != "$expected" ]; then echo "emulate-cluster check: FAILED: $got != $expected" >&2; exit 1; fi
        echo "emulate-cluster check: tokens over 3 namespaced workers (tbf $RATE, ${DELAY_MS} ms, CPU shares $CPU_SHARES) equal one process'"
        ;;
    experiment)
        tokens="${2:-400}"
        if ! why="$(can_emulate)"; then echo "emulate-cluster experiment: cannot run: $why" >&2; exit 1; fi
        trap teardown EXIT
        mkdir -p "$OUT"
        for replan in 10 0; do
            setup 3
            workers="$(start_workers 3)"
            # 4 s into the generation, device 1's link gets 10x slower: its one-way delay goes from DELAY_MS to
            # 10 x DELAY_MS (the worker's own shaper) and its rate to a tenth (tbf, both directions).
            ( sleep 4; echo "0 $(awk -v d="$DELAY_MS" 'BEGIN { print d * 10 }')" > /tmp/headway-link1
              shape 1 "$(awk -v r="${RATE%mbit}" 'BEGIN { print r / 10 "mbit" }')"; echo "slowed device1 at $(date +%s.%N)" >&2 ) &
            coordinator --workers "$workers" --coordinator-holds-nothing --placement one-worker --replan-every "$replan" --max-tokens "$tokens" --ignore-eos \
                --format json "Write a long story about a lighthouse keeper." > "$OUT/replan-$replan.json" 2> "$OUT/replan-$replan.log"
            wait
            teardown
        done
        python3 - "$OUT" <<'PY'
import json, sys, os
out = sys.argv[1]
for replan in (10, 0):
    d = json.load(open(os.path.join(out, f"replan-{replan}.json")))
    lat = d["token_latency_ms"]
    n = len(lat)
    def mean(a): return sum(a) / len(a) if a else float("nan")
    moves = [(m["token"], m["block"], m["from"], m["to"]) for m in d["migrations"]]
    print(f"re-plan every {replan or 'never'}: {n + 1} tokens, {len(d['migrations'])} blocks moved in {len(d['epochs']) - 1} switches, "
          f"mean ms/token: first quarter {mean(lat[: n // 4]):.1f}, last quarter {mean(lat[3 * n // 4:]):.1f}, all {mean(lat):.1f}")
    for e in d["epochs"]:
        held = {k: len(v) for k, v in e["placement"].items()}
        print(f"  epoch {e['epoch']} from token {e['from_token']}: blocks per device {held}, predicted {e['predicted_ms_per_token']:.1f} ms, measured {e['measured_ms_per_token']:.1f} ms over {e['tokens']} tokens")
PY
        ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
esac
