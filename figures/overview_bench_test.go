package figures_test

import (
	"context"
	"testing"
	"time"

	"costbot/config"
	"costbot/figures"
	"costbot/internal/benchseed"
	"costbot/models"
)

// BenchmarkCostOverviewAccounts reads /cost's overview on a year of hourly history for
// 2,000 resources split between two accounts (even services in one, odd in the other):
// over both accounts with the per-account breakdown, and narrowed to one account.
//
//	go test ./figures -run '^$' -bench BenchmarkCostOverviewAccounts -benchtime 50x
func BenchmarkCostOverviewAccounts(b *testing.B) {
	ctx := context.Background()
	store := benchseed.OpenYear(b, 2000)
	const a, other = "111111111111", "222222222222"
	db := store.DB()
	for _, q := range []string{
		`UPDATE cost_summary SET account_id = CASE WHEN LENGTH(service) % 2 = 0 THEN '` + a + `' ELSE '` + other + `' END`,
		`UPDATE resources SET account_id = CASE WHEN LENGTH(service) % 2 = 0 THEN '` + a + `' ELSE '` + other + `' END`,
	} {
		if err := db.Exec(q).Error; err != nil {
			b.Fatal(err)
		}
	}
	if err := store.SaveAccounts(ctx, []models.Account{{ID: a, Name: "prod"}, {ID: other}}); err != nil {
		b.Fatal(err)
	}
	// Reports in UTC, billing off.
	r := figures.New(store, &config.Config{ReportTZ: time.UTC})
	now := benchseed.YearEnd.Add(5 * time.Minute)
	for _, tc := range []struct {
		name      string
		scope     figures.Scope
		breakdown int
	}{{"both accounts", nil, 2}, {"one account", figures.Scope{a}, 0}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				v, err := r.Overview(ctx, tc.scope, now)
				if err != nil || !v.HasData || len(v.Accounts) != tc.breakdown {
					b.Fatalf("overview: %d accounts, %v", len(v.Accounts), err)
				}
			}
		})
	}
}
