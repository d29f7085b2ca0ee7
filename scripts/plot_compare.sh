#!/usr/bin/env bash
# Plots the throughput table of `ferrisdb_compare --format=csv` as an SVG bar
# chart (one group per workload, one bar per engine, log scale).
# Usage: scripts/plot_compare.sh results.csv out.svg ["title"]
# Needs gnuplot (apt-get install gnuplot-nox).
set -euo pipefail
csv="$1"
out="$2"
title="${3:-ferrisdb_compare: throughput per workload}"
command -v gnuplot >/dev/null || { echo "plot_compare: gnuplot is not installed" >&2; exit 2; }

data="$(mktemp)"
trap 'rm -f "$data"' EXIT
# The first table: from its header line (benchmark,...) to the first blank
# line; keep the benchmark name and the per-engine ops/s columns.
awk -F, '
  /^benchmark,/ { in_table = 1; ncol = 0
                  for (i = 2; i <= NF; i++) if ($i ~ /ops\/s$/) { col[++ncol] = i; name[ncol] = $i }
                  printf "workload"; for (j = 1; j <= ncol; j++) { n = name[j]; sub(/ ops\/s$/, "", n); gsub(/ /, "_", n); printf " %s", n }
                  print ""; next }
  in_table && NF == 0 { exit }
  in_table { w = $1; gsub(/ /, "-", w); gsub(/[()]/, "", w)
             printf "%s", w; for (j = 1; j <= ncol; j++) printf " %s", $(col[j]); print "" }
' "$csv" > "$data"
engines=$(head -1 "$data" | wc -w)
[[ "$engines" -ge 2 ]] || { echo "plot_compare: no throughput table in $csv" >&2; exit 1; }

gnuplot <<GP
set terminal svg size 900,480 dynamic font "sans,11" background "white"
set output "$out"
set title "$title"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set ylabel "operations per second (log scale)"
set grid ytics
set key top left
set xtics rotate by -30
plot for [i=2:$engines] "$data" using i:xtic(1) title columnheader(i)
GP
echo "plot_compare: wrote $out"
