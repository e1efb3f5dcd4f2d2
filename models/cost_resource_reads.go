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

// TallyActiveResources counts the active resources of the scope's accounts (nil: every
// account) per service and by price source in one pass over them, for /cost.
func (s *CostHistory) TallyActiveResources(ctx context.Context, scope AccountScope) (ResourceTally, error) {
	if scope.All() {
		return s.tallyActiveResourcesAll(ctx)
	}
	from, args := resourcesIn(scope)
	var rows []tallyRow
	q := `SELECT service, priced, price_source, COUNT(*) AS n` + from + `active = ? GROUP BY service, priced, price_source`
	if err := s.db.WithContext(ctx).Raw(q, append(args, true)...).Scan(&rows).Error; err != nil {
		return ResourceTally{}, fmt.Errorf("store: resource counts of %v: %w", []string(scope), err)
	}
	return tallyOf(rows), nil
}

// UnpricedActive counts the active resources of the scope's accounts (nil: every
// account) without a price, per service.
func (s *CostHistory) UnpricedActive(ctx context.Context, scope AccountScope) (map[string]UnpricedService, error) {
	if scope.All() {
		return s.unpricedActiveAll(ctx)
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

// UnpricedBetween counts, per service, the resources of the scope's accounts (nil: every
// account) seen in [start, end) whose latest price is none.
func (s *CostHistory) UnpricedBetween(ctx context.Context, start, end time.Time, scope AccountScope) (map[string]int, error) {
	if scope.All() {
		return s.unpricedBetweenAll(ctx, start, end)
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

// ActiveResources is one page of a service's active resources of the scope's accounts
// (nil: every account), optionally in one region, priced ones first by hourly cost.
func (s *CostHistory) ActiveResources(ctx context.Context, f ResourceFilter, scope AccountScope) (ResourcePage, error) {
	if scope.All() {
		return s.activeResourcesAll(ctx, f)
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

// ActiveResourceRegions lists the regions where a service has active resources of the
// scope's accounts (nil: every account).
func (s *CostHistory) ActiveResourceRegions(ctx context.Context, service string, scope AccountScope) ([]string, error) {
	if scope.All() {
		return s.activeResourceRegionsAll(ctx, service)
	}
	from, args := resourcesIn(scope)
	var regions []string
	q := `SELECT DISTINCT region` + from + `service = ? AND active = ? ORDER BY region`
	if err := s.db.WithContext(ctx).Raw(q, append(args, service, true)...).Scan(&regions).Error; err != nil {
		return nil, fmt.Errorf("store: %s regions of %v: %w", service, []string(scope), err)
	}
	return regions, nil
}
