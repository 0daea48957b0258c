package main

import (
	"errors"
	"os"
	"strconv"
	"strings"
)

// The bench machine is a virtual one: its hypervisor can give the cores'
// time to other guests (the "steal" column of /proc/stat), and no number a
// scenario measures says so. On 2026-12-07 a fifth to two fifths of the CPU
// time was stolen through parts of one run, and every scenario in them was
// slower, the bare HTTP ceiling by half. So each scenario reports the share
// of the machine's CPU time stolen while it ran: a run to compare with
// another is one where that share was near zero in both.

// cpuClock is the machine's CPU time over all cores, and the part of it
// stolen, in the kernel's ticks; or, as a result's, what passed over a span.
type cpuClock struct{ total, steal uint64 }

// readCPUClock is the clock now; zero (unknown) where /proc/stat cannot be
// read or parsed, as off Linux.
func readCPUClock() cpuClock {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuClock{}
	}
	c, err := parseCPUClock(string(b))
	if err != nil {
		return cpuClock{}
	}
	return c
}

// parseCPUClock reads the first line of /proc/stat: "cpu" and the ticks
// spent in user, nice, system, idle, iowait, irq, softirq and steal (guest
// time, after them, is already counted in user and nice).
func parseCPUClock(stat string) (cpuClock, error) {
	line, _, _ := strings.Cut(stat, "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return cpuClock{}, errors.New("no cpu line with a steal column in /proc/stat")
	}
	var c cpuClock
	for i, f := range fields[1:9] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return cpuClock{}, errors.New("/proc/stat: " + f + " is not a tick count")
		}
		c.total += n
		if i == 7 {
			c.steal = n
		}
	}
	return c, nil
}

// since is what passed from an earlier reading to c (zero if either is
// unknown).
func (c cpuClock) since(earlier cpuClock) cpuClock {
	if c.total == 0 || earlier.total == 0 || c.total < earlier.total || c.steal < earlier.steal {
		return cpuClock{}
	}
	return cpuClock{total: c.total - earlier.total, steal: c.steal - earlier.steal}
}

func (c cpuClock) add(o cpuClock) cpuClock {
	return cpuClock{total: c.total + o.total, steal: c.steal + o.steal}
}

// stolen is the column a span's clock prints as: the share stolen, or "?".
func (c cpuClock) stolen() string {
	if c.total == 0 {
		return "?"
	}
	return strconv.FormatFloat(100*float64(c.steal)/float64(c.total), 'f', 0, 64) + "%"
}
