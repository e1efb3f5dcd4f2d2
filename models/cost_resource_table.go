package models

import (
	"context"
	"fmt"
	"strings"
)

// Reads the dashboard needs beyond the chat's: a sortable, searchable resource table,
// the most expensive resources of every service, the waste flags and the guard's
// history. Figures themselves come from the same queries as the chat's (figures.go,
// cost_queries.go).

// Resource table columns a page may sort by, and the SQL each stands for.
var resourceSortColumns = map[string]string{
	"name":    "name",
	"id":      "resource_id",
	"region":  "region",
	"type":    "type",
	"state":   "state",
	"hourly":  "hourly_usd",
	"monthly": "monthly_usd",
	"source":  "price_source",
	"waste":   "waste",
}

// ResourceSortable reports whether a resource table can be sorted by column.
func ResourceSortable(column string) bool { _, ok := resourceSortColumns[column]; return ok }

// ResourceQuery selects a page of a service's active resources for the dashboard.
type ResourceQuery struct {
	Service string
	Region  string // "" for every region
	Search  string // part of the name or ID, any case; "" for all
	Sort    string // a ResourceSortable column; "" sorts as the chat does (cost, highest first)
	Desc    bool
	Offset  int
	Limit   int
	// Accounts are the accounts whose resources are listed (nil: every account).
	Accounts AccountScope
}

// ResourceTable is one page of a ResourceQuery and how many match in all.
func (s *CostHistory) ResourceTable(ctx context.Context, q ResourceQuery) (ResourcePage, error) {
	where := "service = ? AND active = ? AND (? = '' OR region = ?)"
	args := []any{q.Service, true, q.Region, q.Region}
	if search := strings.TrimSpace(q.Search); search != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(search)) + "%"
		where += ` AND (LOWER(name) LIKE ? ESCAPE '\' OR LOWER(resource_id) LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	if !q.Accounts.All() {
		c, a := q.Accounts.cond("account_id")
		where += " AND " + c
		args = append(args, a...)
	}
	order := "priced DESC, hourly_usd DESC, name, resource_id"
	if col, ok := resourceSortColumns[q.Sort]; ok {
		dir := "ASC"
		if q.Desc {
			dir = "DESC"
		}
		order = col + " " + dir + ", resource_id"
	}
	db := s.db.WithContext(ctx)
	var page ResourcePage
	var total int64
	if err := db.Raw("SELECT COUNT(*) FROM resources WHERE "+where, args...).Scan(&total).Error; err != nil {
		return ResourcePage{}, fmt.Errorf("store: count %s resources: %w", q.Service, err)
	}
	page.Total = int(total)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	sql := "SELECT * FROM resources WHERE " + where + " ORDER BY " + order + " LIMIT ? OFFSET ?"
	if err := db.Raw(sql, append(args, limit, max(q.Offset, 0))...).Scan(&page.Rows).Error; err != nil {
		return ResourcePage{}, fmt.Errorf("store: %s resources: %w", q.Service, err)
	}
	return page, nil
}

// TopResources are the n active priced resources of the scope's accounts (nil: every
// account) that cost the most per hour, highest first.
func (s *CostHistory) TopResources(ctx context.Context, n int, scope AccountScope) ([]ResourceRow, error) {
	return s.costliestActive(ctx, "priced", n, scope)
}

// WastedResources are up to n active resources of the scope's accounts (nil: every
// account) flagged as waste, costliest first.
func (s *CostHistory) WastedResources(ctx context.Context, n int, scope AccountScope) ([]ResourceRow, error) {
	return s.costliestActive(ctx, "waste", n, scope)
}

// costliestActive are up to n active resources of scope whose flag column is true,
// costliest first (idx_resources_cost walked backwards: no sort).
func (s *CostHistory) costliestActive(ctx context.Context, flag string, n int, scope AccountScope) ([]ResourceRow, error) {
	var rows []ResourceRow
	where, args := "", []any{true, true}
	if !scope.All() {
		c, a := scope.cond("account_id")
		where, args = " AND "+c, append(args, a...)
	}
	q := `SELECT * FROM resources WHERE active = ? AND ` + flag + ` = ?` + where + ` ORDER BY hourly_usd DESC, resource_id DESC LIMIT ?`
	if err := s.db.WithContext(ctx).Raw(q, append(args, n)...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: %s resources: %w", flag, err)
	}
	return rows, nil
}
