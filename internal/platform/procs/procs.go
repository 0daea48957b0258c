// Package procs sets how many Go Ps (GOMAXPROCS) lumdesk's processes run
// with.
package procs

import (
	"os"
	"runtime"
)

// Min is the fewest Go Ps (GOMAXPROCS) the binary runs with on a
// machine of fewer cores, unless told otherwise (docs/scaling.md,
// "GOMAXPROCS").
//
// Why more Ps than cores: on a small machine the server shares its cores
// with Postgres's process per connection (and, in the bench, with its
// clients). At one P a core it had an even share of them with two client
// threads and no spare P to pick up the next request while a thread slept:
// on the 2-core bench machine the loader check made 40,025 req/s at p99
// 5.41 ms with 32 clients and 23,500 req/s with 2; at 8 Ps 48,374 at p99
// 2.93 ms and 33,200, with the console's pages unchanged.
const Min = 8

// For is the GOMAXPROCS to run with: Min where the machine has
// fewer cores, unless GOMAXPROCS is set in the environment or a cgroup CPU
// limit has set the runtime's default below the cores (more running
// threads than a CPU quota get the process throttled).
func For(envSet bool, current, cores int) int {
	if envSet || current < cores || cores >= Min {
		return current
	}
	return Min
}

// Set applies For to this process: the server's, and the bench's bare
// Fiber endpoint's, which stands for the server's HTTP ceiling.
func Set() {
	_, envSet := os.LookupEnv("GOMAXPROCS")
	cur := runtime.GOMAXPROCS(0)
	if n := For(envSet, cur, runtime.NumCPU()); n != cur {
		runtime.GOMAXPROCS(n)
	}
}
