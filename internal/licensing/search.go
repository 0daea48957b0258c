package licensing

import (
	"context"
	"strconv"
	"strings"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/product"
)

// Searchers are Luarmor's palette kinds (see product.SearchKind): license
// keys by full or partial key, HWID or Discord ID; projects and scripts by
// name or public id. The console asks them only for staff holding
// licensing.view. They read from the replica when the request allows (db.Reader).
func Searchers(d *db.DB) map[string]product.Searcher {
	return map[string]product.Searcher{
		"license_key": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			return searchKeys(ctx, d.Reader(ctx), q, limit)
		},
		"project": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			return searchProjects(ctx, d.Reader(ctx), q, limit)
		},
		"script": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			return searchScripts(ctx, d.Reader(ctx), q)
		},
	}
}

func searchKeys(ctx context.Context, d *db.DB, q product.Query, limit int) ([]product.SearchHit, error) {
	seen := map[int64]bool{}
	var out []product.SearchHit
	add := func(id int64, key, hwid, discord, project string, banned bool) {
		if seen[id] {
			return
		}
		seen[id] = true
		sub := project
		if hwid != "" {
			sub += " · HWID " + hwid
		}
		if discord != "" {
			sub += " · Discord " + discord
		}
		meta := ""
		if banned {
			meta = "blacklisted"
		}
		out = append(out, product.SearchHit{Title: key, Subtitle: sub, Href: "/luarmor/keys/" + strconv.FormatInt(id, 10), Meta: meta,
			Rank: product.Rank(q.Text, key, hwid, discord)})
	}
	// What support pastes whole (a key, a HWID, a Discord ID) comes first,
	// from btree indexes.
	exact, err := d.SearchLicenseKeysExact(ctx, store.SearchLicenseKeysExactParams{Q: q.Text, Limit: int32(limit)})
	if err != nil {
		return nil, err
	}
	for _, r := range exact {
		add(r.ID, r.UserKey, r.Identifier, r.DiscordID, r.ProjectName, r.Banned)
	}
	// A whole key, HWID or Discord ID that matched needs no partial search:
	// on hex keys that is the costly one.
	if !q.Contains || len(out) > 0 {
		return out, nil
	}
	rows, err := d.SearchLicenseKeys(ctx, store.SearchLicenseKeysParams{Q: escapeSearchLike(q.Text), Words: noteWords(q.Text), Limit: product.SearchCandidates})
	if err != nil {
		return out, err // the exact hits, when the budget ran out
	}
	for _, r := range rows {
		add(r.ID, r.UserKey, r.Identifier, r.DiscordID, r.ProjectName, r.Banned)
	}
	return out, nil
}

func searchProjects(ctx context.Context, d *db.DB, q product.Query, limit int) ([]product.SearchHit, error) {
	rows, err := d.SearchLicensingProjects(ctx, store.SearchLicensingProjectsParams{
		Exact: q.Text, Contains: q.Contains, Q: escapeSearchLike(q.Text), Limit: product.SearchCandidates})
	if err != nil {
		return nil, err
	}
	out := make([]product.SearchHit, 0, len(rows))
	for _, r := range rows {
		out = append(out, product.SearchHit{Title: r.Name, Subtitle: r.AccountName, Href: "/luarmor/projects/" + r.PublicID, Meta: "project",
			Rank: product.Rank(q.Text, r.Name, r.PublicID)})
	}
	return out, nil
}

func searchScripts(ctx context.Context, d *db.DB, q product.Query) ([]product.SearchHit, error) {
	rows, err := d.SearchLicensingScripts(ctx, store.SearchLicensingScriptsParams{
		Exact: q.Text, Contains: q.Contains, Q: escapeSearchLike(q.Text), Limit: product.SearchCandidates})
	if err != nil {
		return nil, err
	}
	out := make([]product.SearchHit, 0, len(rows))
	for _, r := range rows {
		out = append(out, product.SearchHit{Title: r.Name, Subtitle: r.ProjectName, Href: "/luarmor/projects/" + r.ProjectPublicID + "/scripts/" + r.PublicID, Meta: "script",
			Rank: product.Rank(q.Text, r.Name, r.PublicID)})
	}
	return out, nil
}

// escapeSearchLike makes q match literally inside ILIKE patterns.
func escapeSearchLike(q string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
}
