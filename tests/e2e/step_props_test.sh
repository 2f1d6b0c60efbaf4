#!/usr/bin/env bash
# step_props_test.sh — every step property means the same whether it is written as a literal,
# read from a step parameter's default, or passed down from a pipeline `--param`; a bad value
# is E034 at check time when constant, and otherwise a failed step that names the step, the
# property and the .mlp line (never a raw library exception).
#
# The matrix: timeout, retry.attempts, cache (bool and expiry), env, resources.cpu, each as
# literal / step-parameter default / --param / bad value.
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2

cat > p.mlp <<'EOF'
// ---- timeout: a 3 s step
step SleepLit() -> File {
  timeout = 1s
  run     = "sleep 3; echo done > ${out}"
}
step SleepDef(t: duration = 1s) -> File {
  timeout = t
  run     = "sleep 3; echo done > ${out}"
}
step SleepArg(t: duration) -> File {
  timeout = t
  run     = "sleep 3; echo done > ${out}"
}
pipeline timeout_lit() { _s = SleepLit() }
pipeline timeout_def() { _s = SleepDef() }
pipeline timeout_param(t: duration = 10s) { _s = SleepArg(t = t) }

// ---- retry: a step that always fails logs each try
step FlakyLit(log: string) -> File {
  retry = { attempts: 2 }
  run   = "echo $MLP_ATTEMPT >> ${log}; exit 1"
  cache = false
}
step FlakyDef(log: string, k: int = 3) -> File {
  retry = { attempts: k }
  run   = "echo $MLP_ATTEMPT >> ${log}; exit 1"
}
pipeline retry_lit(log: string) { _f = FlakyLit(log) }
pipeline retry_def(log: string) { _f = FlakyDef(log) }
pipeline retry_param(log: string, k: int = 1) { _f = FlakyDef(log, k = k) }

// ---- cache: a step whose output differs on every run
step StampLit() -> File {
  cache = false
  run   = "date +%s%N > ${out}"
}
step StampDef(c: bool = false) -> File {
  cache = c
  run   = "date +%s%N > ${out}"
}
step StampExpire(e: duration) -> File {
  cache = e
  run   = "date +%s%N > ${out}"
}
pipeline cache_lit() { _s = StampLit() }
pipeline cache_def() { _s = StampDef() }
pipeline cache_param(c: bool = true) { _s = StampDef(c = c) }
pipeline cache_expire(e: duration = 1h) { _s = StampExpire(e = e) }

// ---- env: the process sees the value; a copy goes to `dest` to be read back
step EnvLit(dest: string) -> File {
  env = { X: "lit" }
  run = "printf %s \"$X\" > ${dest}; cp ${dest} ${out}"
}
step EnvDef(dest: string, s: string = "dflt") -> File {
  env = { X: s }
  run = "printf %s \"$X\" > ${dest}; cp ${dest} ${out}"
}
step EnvIndex(dest: string, xs: list<string>, i: int) -> File {
  env = { X: "${xs[i]}" }
  run = "printf %s \"$X\" > ${dest}; cp ${dest} ${out}"
}
pipeline env_lit(dest: string) { _e = EnvLit(dest) }
pipeline env_def(dest: string) { _e = EnvDef(dest) }
pipeline env_param(dest: string, s: string = "unused") { _e = EnvDef(dest, s = s) }
pipeline env_bad(dest: string, i: int = 0) { _e = EnvIndex(dest, xs = ["a", "b"], i = i) }

// ---- resources.cpu: nothing visible, but validated
step CpuLit() -> File {
  resources = { cpu: 2 }
  run       = "echo ok > ${out}"
}
step CpuDef(n: float = 0.5) -> File {
  resources = { cpu: n, memory: 1MiB }
  run       = "echo ok > ${out}"
}
pipeline cpu_lit() { _c = CpuLit() }
pipeline cpu_def() { _c = CpuDef() }
pipeline cpu_param(n: float = 1.5) { _c = CpuDef(n = n) }
EOF

line_of() { grep -n -- "$1" p.mlp | head -1 | cut -d: -f1; }
RUN_OUT=""
RUN_RC=0
run_p() { # PIPELINE ARGS...: runs it, output in $RUN_OUT, exit code in $RUN_RC
  local pl=$1
  shift
  RUN_OUT=$(timeout -k 5 60 "$MLPC" run p.mlp --pipeline "$pl" "$@" 2>&1)
  RUN_RC=$?
  printf '%s\n' "$RUN_OUT" >> "$T/all_runs.log"
}

out=$("$MLPC" check p.mlp 2>&1)
check_eq "the matrix program checks" 0 $?

# ---- timeout
for pl in timeout_lit timeout_def; do
  run_p $pl
  check_eq "$pl: the 3 s step fails" 1 "$RUN_RC"
  check_contains "$pl: it timed out after 1 s" "timed out after 1s" "$RUN_OUT"
done
start=$(date +%s)
run_p timeout_param --param t=1s
check_eq "timeout --param t=1s: fails" 1 "$RUN_RC"
check_contains "timeout --param t=1s: timed out" "timed out after 1s" "$RUN_OUT"
check "timeout --param t=1s: killed well before the 3 s sleep ends" \
  test $(($(date +%s) - start)) -lt 3
run_p timeout_param
check_eq "timeout from the pipeline default (10s): the 3 s step succeeds" 0 "$RUN_RC"
L=$(line_of "step SleepArg")
L=$((L + 1))
run_p timeout_param --param t=0s
check_eq "timeout --param t=0s: the run fails" 1 "$RUN_RC"
check_contains "t=0s: names the step" 'step `_s`' "$RUN_OUT"
check_contains "t=0s: names the property and its rule" '`timeout` is 0s, and must be greater than 0s' "$RUN_OUT"
check_contains "t=0s: names the line of the property" "p.mlp:$L:" "$RUN_OUT"

# ---- retry
run_p retry_lit --param "log=$T/r_lit.log"
check_eq "retry literal attempts 2: fails" 1 "$RUN_RC"
check_eq "retry literal attempts 2: tried twice" "1 2" "$(xargs < "$T/r_lit.log")"
run_p retry_def --param "log=$T/r_def.log"
check_eq "retry default k = 3: tried 3 times" "1 2 3" "$(xargs < "$T/r_def.log" 2>/dev/null)"
run_p retry_param --param "log=$T/r_param.log" --param k=4
check_eq "retry --param k=4: tried 4 times" "1 2 3 4" "$(xargs < "$T/r_param.log" 2>/dev/null)"
run_p retry_param --param "log=$T/r_param1.log"
check_eq "retry pipeline default k = 1: tried once" "1" "$(xargs < "$T/r_param1.log" 2>/dev/null)"
L=$(line_of "retry = { attempts: k }")
run_p retry_param --param "log=$T/r_bad.log" --param k=0
check_eq "retry --param k=0: fails" 1 "$RUN_RC"
check "retry k=0: the command never ran" test ! -e "$T/r_bad.log"
check_contains "k=0: names the step" 'step `_f` (FlakyDef' "$RUN_OUT"
check_contains "k=0: names the property and its rule" '`retry.attempts` is 0, and must be at least 1' "$RUN_OUT"
check_contains "k=0: names the line of the property" "p.mlp:$L:" "$RUN_OUT"
R=$("$MLPC" runs --json -n 1 | json_get - 'j[0]["id"]')
"$MLPC" show "$R" --json > "$T/show_bad.json" 2>&1
check_contains "the failed step is recorded with its reason (mlpc show)" "retry.attempts" \
  "$(cat "$T/show_bad.json")"

# ---- cache: false re-runs every time; true and an unexpired duration reuse
ran_twice() { # PIPELINE ARGS...: "ran ran", "ran cached", ...
  local a b
  "$MLPC" run p.mlp --pipeline "$@" --json > "$T/c1.json" 2>&1
  "$MLPC" run p.mlp --pipeline "$@" --json > "$T/c2.json" 2>&1
  cat "$T/c1.json" "$T/c2.json" >> "$T/all_runs.log"
  a=$([ -n "$(events_nodes "$T/c1.json" started)" ] && echo ran || echo cached)
  b=$([ -n "$(events_nodes "$T/c2.json" started)" ] && echo ran || echo cached)
  echo "$a $b"
}
check_eq "cache = false (literal): re-runs" "ran ran" "$(ran_twice cache_lit)"
check_eq "cache = c, c: bool = false (step default): re-runs" "ran ran" "$(ran_twice cache_def)"
check_eq "cache = c, --param c=false: re-runs" "ran ran" "$(ran_twice cache_param --param c=false)"
check_eq "cache = c, --param c=true: cached the second time" "ran cached" \
  "$(ran_twice cache_param --param c=true)"
check_eq "cache = e, e = 1h (pipeline default): cached the second time" "ran cached" \
  "$(ran_twice cache_expire)"
"$MLPC" run p.mlp --pipeline cache_expire --param e=1s > /dev/null 2>&1
sleep 2
"$MLPC" plan p.mlp --pipeline cache_expire --param e=1s > "$T/plan_exp.out" 2>&1
check_contains "cache = e, --param e=1s: mlpc plan says the result expired" "expired" \
  "$(cat "$T/plan_exp.out")"
"$MLPC" run p.mlp --pipeline cache_expire --param e=1s --json > "$T/c3.json" 2>&1
check_eq "cache = e, --param e=1s: re-runs after 2 s" "_s" "$(events_nodes "$T/c3.json" started)"
L=$(line_of "cache = e")
run_p cache_expire --param e=0s
check_eq "cache --param e=0s: fails" 1 "$RUN_RC"
check_contains "e=0s: names property, rule and line" \
  '`cache` is 0s, and must be greater than 0s (p.mlp:'"$L:" "$RUN_OUT"

# ---- env
run_p env_lit --param "dest=$T/e_lit"
check_eq "env literal: ran" 0 "$RUN_RC"
check_eq "env literal reaches the process" "lit" "$(cat "$T/e_lit" 2>/dev/null)"
run_p env_def --param "dest=$T/e_def"
check_eq "env from the step default reaches the process" "dflt" "$(cat "$T/e_def" 2>/dev/null)"
run_p env_param --param "dest=$T/e_param" --param "s=from cli"
check_eq "env from --param reaches the process" "from cli" "$(cat "$T/e_param" 2>/dev/null)"
run_p env_bad --param "dest=$T/e_ok" --param i=1
check_eq "env with an interpolated expression" "b" "$(cat "$T/e_ok" 2>/dev/null)"
run_p env_bad --param "dest=$T/e_bad" --param i=5
check_eq "env that cannot be computed: fails" 1 "$RUN_RC"
check "env that cannot be computed: the command never ran" test ! -e "$T/e_bad"
check_contains "bad env: names the step and the variable" 'step `_e` (EnvIndex' "$RUN_OUT"
check_contains "bad env: says what is wrong" '`env.X`' "$RUN_OUT"
check_contains "bad env: says what is wrong" 'index 5 is outside the list of 2' "$RUN_OUT"

# ---- resources.cpu
run_p cpu_lit
check_eq "cpu literal: runs (a step larger than the machine runs alone)" 0 "$RUN_RC"
run_p cpu_def
check_eq "cpu from the step default: runs" 0 "$RUN_RC"
run_p cpu_param --param n=0.25
check_eq "cpu from --param: runs" 0 "$RUN_RC"
L=$(line_of "resources = { cpu: n")
run_p cpu_param --param n=-1
check_eq "cpu --param n=-1: fails" 1 "$RUN_RC"
check_contains "n=-1: names step, property, rule and line" \
  '(CpuDef called at p.mlp:' "$RUN_OUT"
check_contains "n=-1: the rule" '`resources.cpu` is -1, and must be greater than 0 (p.mlp:'"$L:" \
  "$RUN_OUT"

# ---- the plan: constant values stay plain, parameter values are expressions with a range
"$MLPC" compile p.mlp --pipeline retry_param --param log=x -o "$T/plan.json" > /dev/null 2>&1
check_eq "compiled: attempts = k is an expression" "int" \
  "$(json_get "$T/plan.json" 'j["steps"]["FlakyDef"]["retry"]["attempts"]["type"]')"
check_contains "compiled: its range is the property's" "p.mlp:$(line_of 'retry = { attempts: k }'):" \
  "$(json_get "$T/plan.json" 'j["steps"]["FlakyDef"]["retry"]["attempts"]["range"]')"
"$MLPC" compile p.mlp --pipeline timeout_lit -o "$T/plan2.json" > /dev/null 2>&1
check_eq "compiled: a literal timeout stays a number" "1.0" \
  "$(json_get "$T/plan2.json" 'j["steps"]["SleepLit"]["timeout_s"]')"

# ---- constant bad values are errors at check time (E034), before anything runs
cat > bad.mlp <<'EOF'
step S(n: int = 2) -> File {
  resources = { cpu: -1 }
  retry     = { attempts: 0 }
  timeout   = 0s
  cache     = 0s
  run       = "echo ${n} > ${out}"
}
pipeline p() { _s = S() }
EOF
out=$("$MLPC" check bad.mlp 2>&1)
check_eq "constant bad values: check fails" 1 $?
for what in '`resources.cpu` must be greater than 0' '`retry.attempts` must be at least 1' \
  '`timeout` must be greater than 0s' '`cache` must be greater than 0s'; do
  check_contains "E034: $what" "$what" "$out"
done
check_eq "E034 four times" 4 "$(grep -c 'error\[E034\]' <<< "$out")"
out=$("$MLPC" run bad.mlp 2>&1)
check_eq "constant bad values: run refuses" 1 $?

check_not_contains "no raw library exception in any run" "json.exception" \
  "$(cat "$T/all_runs.log")"
finish
