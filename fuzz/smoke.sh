#!/bin/sh
# smoke.sh runs every fuzz target of this package in turn for $FUZZTIME
# (default 20s) and exits non-zero on the first failure. Run it from any
# directory: it works on the package it sits in. The seed corpus runs
# first as part of each -fuzz run.
set -eu
FUZZTIME=${FUZZTIME:-20s}
# Minimizing each new interesting input may take 60s by default, during
# which a target executes nothing; keep it short for a smoke run.
MINIMIZE=${FUZZMINIMIZETIME:-5s}
cd "$(dirname "$0")"
targets=$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(f \*testing\.F).*/\1/p' *_test.go)
if [ -z "$targets" ]; then
	echo "smoke.sh: no fuzz targets found" >&2
	exit 1
fi
go test -count=1 . # the seed corpus and the plain tests, once
for t in $targets; do
	echo "=== $t ($FUZZTIME)"
	if ! go test -run='^$' -fuzz="^$t\$" -fuzztime="$FUZZTIME" -fuzzminimizetime="$MINIMIZE" .; then
		echo "smoke.sh: $t failed; a new crasher is in testdata/fuzz/$t/" >&2
		exit 1
	fi
done
echo "smoke.sh: all targets passed"
