package templates

import (
	"context"

	"lumdesk/internal/accounts"
	"lumdesk/internal/platform/textdiff"
)

// DiffContext is how many unchanged lines surround each change.
const DiffContext = 3

// PartDiff is the line diff of one part between two versions.
type PartDiff struct {
	Hunks   []textdiff.Hunk // empty when the part did not change
	Added   int
	Removed int
	TooBig  bool // more than textdiff.MaxDiffEdits lines differ: show both versions instead
}

// Changed reports whether the part differs between the two versions.
func (d PartDiff) Changed() bool { return d.TooBig || len(d.Hunks) > 0 }

// VersionDiff is what changed from one version of a template to another,
// part by part, for the console's history.
type VersionDiff struct {
	From, To Version
	Name     PartDiff
	Subject  PartDiff
	HTML     PartDiff
	Text     PartDiff
}

// Diff compares versions from and to of the template (either order; 0 or
// less for to: the current version).
func (s *Service) Diff(ctx context.Context, scope accounts.Scope, ref string, from, to int) (_ VersionDiff, err error) {
	defer wrap(&err, "diff versions of mail template %q", ref)
	if to <= 0 {
		cur, err := s.Get(ctx, scope, ref)
		if err != nil {
			return VersionDiff{}, err
		}
		to = cur.Version
	}
	a, err := s.Version(ctx, scope, ref, from)
	if err != nil {
		return VersionDiff{}, err
	}
	b, err := s.Version(ctx, scope, ref, to)
	if err != nil {
		return VersionDiff{}, err
	}
	return VersionDiff{From: a, To: b, Name: diffPart(a.Name, b.Name), Subject: diffPart(a.Subject, b.Subject),
		HTML: diffPart(a.HTML, b.HTML), Text: diffPart(a.Text, b.Text)}, nil
}

func diffPart(a, b string) PartDiff {
	if a == b {
		return PartDiff{}
	}
	hunks, added, removed, ok := textdiff.LineDiff(a, b, DiffContext)
	return PartDiff{Hunks: hunks, Added: added, Removed: removed, TooBig: !ok}
}
