package licensing

// What only the dashboard needs: capped key counts for the project list and
// the keyset cursor of a row (for a "Previous" link that walks the list in
// the other direction from the first row shown).

import (
	"context"
	"fmt"

	"lumdesk/db/store"
)

// KeyCursor is the keyset position of k in a list sorted by sort and desc (the same
// value ListKeys puts in KeyPage.Next). Listing with Reverse after
// the cursor of a page's first row gives the page before it, reversed.
func KeyCursor(k Key, sort string, desc bool) Cursor { return *cursorOf(k, sort, desc) }

// MaxKeyCount is where ProjectKeyCounts stops counting.
const MaxKeyCount = 1000

// ProjectKeyCounts counts the keys of projects (by DBID), each only up to
// limit (1..MaxKeyCount; a count equal to limit means "limit or more"), so
// a page of projects costs at most limit index entries per project.
func (s *Service) ProjectKeyCounts(ctx context.Context, projectDBIDs []int64, limit int) (map[int64]int64, error) {
	limit = min(max(limit, 1), MaxKeyCount)
	out := make(map[int64]int64, len(projectDBIDs))
	if len(projectDBIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.LicensingProjectKeyCounts(ctx, store.LicensingProjectKeyCountsParams{Cap: int32(limit), ProjectIds: projectDBIDs})
	if err != nil {
		return nil, fmt.Errorf("project key counts: %w", err)
	}
	for _, r := range rows {
		out[r.ProjectID] = r.Keys
	}
	return out, nil
}
