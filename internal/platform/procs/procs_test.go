package procs

import "testing"

func TestProcs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name                 string
		envSet               bool
		current, cores, want int
	}{
		{"a small machine", false, 2, 2, Min},
		{"GOMAXPROCS set", true, 2, 2, 2},
		{"a cgroup CPU limit below the cores", false, 2, 16, 2},
		{"cores enough", false, 16, 16, 16},
		{"exactly Min cores", false, Min, Min, Min},
	} {
		if got := For(c.envSet, c.current, c.cores); got != c.want {
			t.Errorf("%s: For(%v, %d, %d) = %d, want %d", c.name, c.envSet, c.current, c.cores, got, c.want)
		}
	}
}
