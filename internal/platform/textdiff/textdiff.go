// Package textdiff is a unified line diff (for script versions): Myers' O(ND) shortest edit
// script over lines, after trimming the common prefix and suffix, grouped
// into hunks with a few lines of context.
package textdiff

import (
	"strconv"
	"strings"
)

// DiffLine is one line of a hunk. Op is ' ' (context), '-' (removed) or
// '+' (added); Old and New are 1-based line numbers (0 where absent).
type DiffLine struct {
	Op       byte
	Old, New int
	Text     string
}

// Hunk is a run of changes with their context lines.
type Hunk struct {
	Header string // "@@ -3,7 +3,8 @@"
	Lines  []DiffLine
}

// MaxDiffEdits bounds the edit distance LineDiff works out (its memory
// grows with the square of it).
const MaxDiffEdits = 2000

// SplitLines splits text into lines (CRLF read as LF; a final newline ends
// the last line rather than starting an empty one).
func SplitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// LineDiff diffs two texts by lines into hunks with context lines around
// each change. ok is false when the texts differ in more than MaxDiffEdits
// lines.
func LineDiff(a, b string, context int) (hunks []Hunk, added, removed int, ok bool) {
	ops, ok := diffOps(SplitLines(a), SplitLines(b))
	if !ok {
		return nil, 0, 0, false
	}
	for _, o := range ops {
		switch o.Op {
		case '+':
			added++
		case '-':
			removed++
		}
	}
	return hunksOf(ops, context), added, removed, true
}

// diffOps is the whole edit script, every line of both texts in order.
func diffOps(a, b []string) ([]DiffLine, bool) {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	mid, ok := myers(a[pre:len(a)-suf], b[pre:len(b)-suf])
	if !ok {
		return nil, false
	}
	out := make([]DiffLine, 0, pre+len(mid)+suf)
	for i := 0; i < pre; i++ {
		out = append(out, DiffLine{Op: ' ', Old: i + 1, New: i + 1, Text: a[i]})
	}
	for _, l := range mid {
		if l.Old > 0 {
			l.Old += pre
		}
		if l.New > 0 {
			l.New += pre
		}
		out = append(out, l)
	}
	for i := suf; i > 0; i-- {
		out = append(out, DiffLine{Op: ' ', Old: len(a) - i + 1, New: len(b) - i + 1, Text: a[len(a)-i]})
	}
	return out, true
}

// myers finds a shortest edit script from a to b. trace[d] keeps the
// furthest x on each diagonal k in [-d-1, d+1] before step d.
func myers(a, b []string) ([]DiffLine, bool) {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil, true
	}
	maxD := min(n+m, MaxDiffEdits)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	found := false
	for d := 0; d <= maxD && !found; d++ {
		snap := make([]int, 2*d+3)
		copy(snap, v[off-d-1:off+d+2])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = true
				break
			}
		}
	}
	if !found {
		return nil, false
	}
	// Walk back from (n, m), collecting the script in reverse.
	var rev []DiffLine
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		at := func(k int) int { return trace[d][k+d+1] }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			rev = append(rev, DiffLine{Op: ' ', Old: x, New: y, Text: a[x-1]})
			x--
			y--
		}
		if d > 0 {
			if x == px {
				rev = append(rev, DiffLine{Op: '+', New: y, Text: b[y-1]})
			} else {
				rev = append(rev, DiffLine{Op: '-', Old: x, Text: a[x-1]})
			}
		}
		x, y = px, py
	}
	out := make([]DiffLine, len(rev))
	for i, l := range rev {
		out[len(rev)-1-i] = l
	}
	// Within a change, show removals before additions (as diff -u does).
	for i := 0; i < len(out); {
		if out[i].Op == ' ' {
			i++
			continue
		}
		j := i
		for j < len(out) && out[j].Op != ' ' {
			j++
		}
		run := make([]DiffLine, 0, j-i)
		for _, l := range out[i:j] {
			if l.Op == '-' {
				run = append(run, l)
			}
		}
		for _, l := range out[i:j] {
			if l.Op == '+' {
				run = append(run, l)
			}
		}
		copy(out[i:j], run)
		i = j
	}
	return out, true
}

// hunksOf groups changes with up to context unchanged lines around them;
// changes closer than 2*context lines share a hunk.
func hunksOf(ops []DiffLine, context int) []Hunk {
	var hunks []Hunk
	i := 0
	for i < len(ops) {
		for i < len(ops) && ops[i].Op == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(0, i-context)
		end := i
		for {
			for end < len(ops) && ops[end].Op != ' ' {
				end++
			}
			// end is the first context line after a change; look for the next change.
			next := end
			for next < len(ops) && ops[next].Op == ' ' {
				next++
			}
			if next < len(ops) && next-end <= 2*context {
				end = next
				continue
			}
			end = min(len(ops), end+context)
			break
		}
		lines := ops[start:end]
		hunks = append(hunks, Hunk{Header: hunkHeader(lines), Lines: lines})
		i = end
	}
	return hunks
}

func hunkHeader(lines []DiffLine) string {
	oldStart, newStart, oldN, newN := 0, 0, 0, 0
	for _, l := range lines {
		if l.Op != '+' {
			if oldStart == 0 {
				oldStart = l.Old
			}
			oldN++
		}
		if l.Op != '-' {
			if newStart == 0 {
				newStart = l.New
			}
			newN++
		}
	}
	// An empty side starts at the line before it, as diff -u writes.
	if oldN == 0 {
		oldStart = firstNum(lines, true)
	}
	if newN == 0 {
		newStart = firstNum(lines, false)
	}
	return "@@ -" + span(oldStart, oldN) + " +" + span(newStart, newN) + " @@"
}

func firstNum(lines []DiffLine, old bool) int {
	for _, l := range lines {
		if old && l.Op == '+' {
			return max(0, l.New-1)
		}
		if !old && l.Op == '-' {
			return max(0, l.Old-1)
		}
	}
	return 0
}

func span(start, n int) string {
	if n == 1 {
		return strconv.Itoa(start)
	}
	return strconv.Itoa(start) + "," + strconv.Itoa(n)
}
