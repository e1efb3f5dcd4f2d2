package models

import (
	"context"
	"fmt"
	"time"
)

// The resource reads of the cost views narrowed to an AccountScope (resources carry
// their account). A scope of every account reads the unscoped queries.

// resourcesIn is "FROM resources WHERE <scope> AND " with the scope's arguments.
func resourcesIn(scope AccountScope) (string, []any) {
	c, a := scope.cond("account_id")
	return ` FROM resources WHERE ` + c + ` AND `, a
}

// TallyActiveResourcesIn is TallyActiveResources over the scope's accounts.
func (s *Store) TallyActiveResourcesIn(ctx context.Context, scope AccountScope) (ResourceTally, error) {
	if scope.All() {
		return s.TallyActiveResources(ctx)
	}
	from, args := resourcesIn(scope)
	var rows []tallyRow
	q := `SELECT service, priced, price_source, COUNT(*) AS n` + from + `active = ? GROUP BY service, priced, price_source`
	if err := s.db.WithContext(ctx).Raw(q, append(args, true)...).Scan(&rows).Error; err != nil {
		return ResourceTally{}, fmt.Errorf("store: resource counts of %v: %w", []string(scope), err)
	}
	return tallyOf(rows), nil
}

// UnpricedActiveIn is UnpricedActive over the scope's accounts.
func (s *Store) UnpricedActiveIn(ctx context.Context, scope AccountScope) (map[string]UnpricedService, error) {
	if scope.All() {
		return s.UnpricedActive(ctx)
	}
	from, args := resourcesIn(scope)
	var rows []struct {
		Service string
		N       int
		Reason  string
	}
	q := `SELECT service, COUNT(*) AS n, MAX(price_note) AS reason` + from + `active = ? AND priced = ? GROUP BY service`
	if err := s.db.WithContext(ctx).Raw(q, append(args, true, false)...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: unpriced resources of %v: %w", []string(scope), err)
	}
	out := make(map[string]UnpricedService, len(rows))
	for _, r := range rows {
		out[r.Service] = UnpricedService{Count: r.N, Reason: r.Reason}
	}
	return out, nil
}

// UnpricedBetweenIn is UnpricedBetween over the scope's accounts.
func (s *Store) UnpricedBetweenIn(ctx context.Context, start, end time.Time, scope AccountScope) (map[string]int, error) {
	if scope.All() {
		return s.UnpricedBetween(ctx, start, end)
	}
	from, args := resourcesIn(scope)
	var rows []struct {
		Service string
		N       int
	}
	q := `SELECT service, COUNT(*) AS n` + from + `priced = ? AND last_seen >= ? AND first_seen < ? GROUP BY service`
	if err := s.db.WithContext(ctx).Raw(q, append(args, false, start.UTC(), end.UTC())...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: unpriced resources of %v: %w", []string(scope), err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Service] = r.N
	}
	return out, nil
}

// ActiveResourcesIn is ActiveResources over the scope's accounts.
func (s *Store) ActiveResourcesIn(ctx context.Context, f ResourceFilter, scope AccountScope) (ResourcePage, error) {
	if scope.All() {
		return s.ActiveResources(ctx, f)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 10
	}
	page, err := s.ResourceTable(ctx, ResourceQuery{Service: f.Service, Region: f.Region, Offset: f.Offset, Limit: limit, Accounts: scope})
	if err != nil {
		return ResourcePage{}, err
	}
	return page, nil
}

// ActiveResourceRegionsIn is ActiveResourceRegions over the scope's accounts.
func (s *Store) ActiveResourceRegionsIn(ctx context.Context, service string, scope AccountScope) ([]string, error) {
	if scope.All() {
		return s.ActiveResourceRegions(ctx, service)
	}
	from, args := resourcesIn(scope)
	var regions []string
	q := `SELECT DISTINCT region` + from + `service = ? AND active = ? ORDER BY region`
	if err := s.db.WithContext(ctx).Raw(q, append(args, service, true)...).Scan(&regions).Error; err != nil {
		return nil, fmt.Errorf("store: %s regions of %v: %w", service, []string(scope), err)
	}
	return regions, nil
}
