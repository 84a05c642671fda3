#!/bin/sh
# The README's worker --threads figure: 60 demo tasks of 100 ms CPU each, one worker JVM with 1 then
# N threads, timed by the master; "cores busy" is the worker's CPU time over the master's wall time.
# Run from the directory of a server started with: java -jar server/target/server.jar --port PORT
# Usage: docs/scaling.sh PORT [N]
set -e
P=${1:?usage: scaling.sh PORT [THREADS]}; N=${2:-$(nproc)}
JAR=$(dirname "$0")/../client/target/client.jar
TICKS=$(getconf CLK_TCK)
for t in 1 "$N"; do
  java -jar "$JAR" worker --port "$P" --threads "$t" --cpu-ms 100 --quiet --idle-exit 3 >/dev/null 2>&1 &
  W=$!; sleep 2
  c0=$(awk '{print $14+$15}' /proc/$W/stat); s=$(date +%s.%N)
  java -jar "$JAR" master --port "$P" --tasks 60 --quiet 2>/dev/null | tail -1
  e=$(date +%s.%N); c1=$(awk '{print $14+$15}' /proc/$W/stat)
  echo "threads=$t: $(echo "$e - $s" | bc) s, $(echo "scale=2; ($c1 - $c0) / $TICKS / ($e - $s)" | bc) cores busy (load $(cut -d' ' -f1 /proc/loadavg))"
  wait $W
done
