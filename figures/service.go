package figures

import (
	"context"

	"costbot/models"
)

// ServicePage is one page of a service's active resources, as /service and the
// dashboard's service page show it.
type ServicePage struct {
	Query   models.ResourceQuery // as read: the page's offset, the scope's accounts
	Regions []string             // the regions the service has active resources in
	Rows    []models.ResourceRow
	Total   int // resources matching the query in all
	Page    int // 1-based; a page past the end is the last one
	Pages   int
	// Unpriced is how many of the service's active resources have no price, and why.
	Unpriced models.UnpricedService
}

// Service reads page (1-based) of q's resources, q.Limit a page, for the scope's accounts.
func (r *Reader) Service(ctx context.Context, scope Scope, q models.ResourceQuery, page int) (ServicePage, error) {
	q.Accounts = scope
	q.Limit = max(q.Limit, 1)
	v := ServicePage{Page: max(page, 1)}
	var err error
	if v.Regions, err = r.store.ActiveResourceRegions(ctx, q.Service, scope); err != nil {
		return v, err
	}
	unpriced, err := r.store.UnpricedActive(ctx, scope)
	if err != nil {
		return v, err
	}
	v.Unpriced = unpriced[q.Service]
	q.Offset = (v.Page - 1) * q.Limit
	res, err := r.store.ResourceTable(ctx, q)
	if err != nil {
		return v, err
	}
	v.Pages = max((res.Total+q.Limit-1)/q.Limit, 1)
	if v.Page > v.Pages {
		v.Page = v.Pages
		q.Offset = (v.Page - 1) * q.Limit
		if res, err = r.store.ResourceTable(ctx, q); err != nil {
			return v, err
		}
	}
	v.Query, v.Rows, v.Total = q, res.Rows, res.Total
	return v, nil
}

// ActiveCounts is how many active resources each service has in the scope's accounts.
func (r *Reader) ActiveCounts(ctx context.Context, scope Scope) (map[string]int, error) {
	tally, err := r.store.TallyActiveResources(ctx, scope)
	return tally.PerService, err
}

// TopResources are the scope's costliest active resources, at most n.
func (r *Reader) TopResources(ctx context.Context, scope Scope, n int) ([]models.ResourceRow, error) {
	return r.store.TopResources(ctx, n, scope)
}

// WastedResources are the scope's costliest active resources flagged as waste, at most n.
func (r *Reader) WastedResources(ctx context.Context, scope Scope, n int) ([]models.ResourceRow, error) {
	return r.store.WastedResources(ctx, n, scope)
}
