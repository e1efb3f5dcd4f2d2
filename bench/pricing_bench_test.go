package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"costbot/internal/awstest"
	"costbot/models"
	"costbot/pricing"
)

// BenchmarkPricingCalls prices the seeded account's scan twice on one store: a cold start
// (empty price cache) and a restart within the cache TTL. The cold start should ask the
// Pricing API once per distinct price key and the warm restart not at all.
//
//	go test ./bench -run '^$' -bench BenchmarkPricingCalls -benchtime 1x -timeout 30m
func BenchmarkPricingCalls(b *testing.B) {
	env := newScanEnv(b, defaultScanSeed)
	res, _, _, _ := env.scanOnce(b, 16)
	srv := awstest.NewPricingServer(b, awstest.DefaultPricingCatalogue())
	b.ResetTimer()
	for b.Loop() {
		store, err := models.Open(filepath.Join(b.TempDir(), "cost.db"))
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		priceOnce := func(at time.Time) (calls int64, priced []models.PricedResource) {
			p := pricing.New(store, pricing.NewAPIClient(srv.Config()), pricing.Options{TTL: 4 * time.Hour, Now: func() time.Time { return at }})
			priced, _, err := p.PriceScan(context.Background(), res.Resources, nil)
			if err != nil {
				b.Fatal(err)
			}
			return p.Calls(), priced
		}
		before := len(srv.Requests())
		cold, priced := priceOnce(now)
		// Distinct price keys as the server saw them: one distinct (service, filters)
		// request per key, pages aside.
		keys := map[string]bool{}
		for _, r := range srv.Requests()[before:] {
			var f []string
			for _, x := range r.Filters {
				f = append(f, fmt.Sprint(x))
			}
			slices.Sort(f)
			keys[fmt.Sprint(r.ServiceCode, f)] = true
		}
		warm, _ := priceOnce(now.Add(time.Hour))
		sources := map[string]int{}
		for _, p := range priced {
			sources[p.Source]++
		}
		b.Logf("%d resources priced; price sources %v", len(priced), sources)
		store.Close()
		b.ReportMetric(float64(len(res.Resources)), "resources")
		b.ReportMetric(float64(len(keys)), "distinct_keys")
		b.ReportMetric(float64(cold), "cold_calls")
		b.ReportMetric(float64(warm), "warm_calls")
	}
}
