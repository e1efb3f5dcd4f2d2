package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"gorm.io/gorm"

	"costbot/config"
	"costbot/internal/tgtest"
	costmodels "costbot/models"
)

// seedBatch is the rows per INSERT when seeding: the SQLite driver matches each bound
// parameter against all of the statement's, so 1,000-row batches spent half a minute
// binding.
const seedBatch = 100

// seedYear fills store, directly and in one transaction, with a year of hourly history
// ending at end: cost_hours and cost_summary (every service in every default region)
// each hour, the monthly bills, the last day's cost records and the resources' rows.
func seedYear(b *testing.B, store *costmodels.Store, end time.Time, resources int) {
	services := config.Services
	regions := config.DefaultRegions
	start := end.Add(-365 * 24 * time.Hour)
	err := store.DB().Transaction(func(tx *gorm.DB) error {
		var rows []costmodels.ResourceRow
		for i := range resources {
			svc, region := services[i%len(services)], regions[i%len(regions)]
			id := fmt.Sprintf("r-%05d", i)
			rows = append(rows, costmodels.ResourceRow{Key: svc + "/" + region + "/" + id, AccountID: "123456789012", Service: svc, Region: region,
				ResourceID: id, Name: "bench-" + id, Kind: "instance", Type: "t3.micro", State: "running", Attrs: "{}", Usage: "{}",
				HourlyUSD: 0.0104, MonthlyUSD: 7.59, PriceSource: "api", Priced: true, FirstSeen: start, LastSeen: end, Active: true})
		}
		if err := tx.CreateInBatches(rows, seedBatch).Error; err != nil {
			return err
		}
		perPair := float64(resources) * 0.0104 / float64(len(services)*len(regions))
		var hours []costmodels.CostHour
		var sums []costmodels.CostSummary
		bills := map[[2]string]*costmodels.MonthlySummary{}
		for h := start; h.Before(end); h = h.Add(time.Hour) {
			month := h.Format("2006-01")
			hours = append(hours, costmodels.CostHour{Hour: h, Month: month, TotalUSD: perPair * float64(len(services)*len(regions)), ResourceCount: resources, CollectedAt: h.Add(time.Minute)})
			for _, s := range services {
				k := [2]string{month, s}
				if bills[k] == nil {
					bills[k] = &costmodels.MonthlySummary{Month: month, Service: s, Closed: month != end.Format("2006-01"), UpdatedAt: h}
				}
				bills[k].CostUSD += perPair * float64(len(regions))
				bills[k].Hours++
				for _, r := range regions {
					sums = append(sums, costmodels.CostSummary{Hour: h, Service: s, Region: r, CostUSD: perPair, ResourceCount: resources / (len(services) * len(regions))})
				}
			}
		}
		if err := tx.CreateInBatches(hours, seedBatch).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(sums, seedBatch).Error; err != nil {
			return err
		}
		var ms []costmodels.MonthlySummary
		for _, m := range bills {
			ms = append(ms, *m)
		}
		if err := tx.CreateInBatches(ms, 500).Error; err != nil {
			return err
		}
		var recs []costmodels.CostRecord
		for h := end.Add(-24 * time.Hour); h.Before(end); h = h.Add(time.Hour) {
			for _, r := range rows {
				recs = append(recs, costmodels.CostRecord{Hour: h, Service: r.Service, Region: r.Region, ResourceID: r.ResourceID,
					AccountID: r.AccountID, Name: r.Name, Type: r.Type, CostUSD: r.HourlyUSD, PriceSource: "api"})
			}
		}
		return tx.CreateInBatches(recs, seedBatch).Error
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCommandLatency measures, on a store holding a year of hourly history for
// 2,000 resources, the time from an update being queued at the fake Bot API to the
// bot's reply reaching it, for each command; it reports p50 and p99.
//
//	go test ./bot -run '^$' -bench BenchmarkCommandLatency -benchtime 200x
func BenchmarkCommandLatency(b *testing.B) {
	srv := tgtest.New(b)
	store, err := costmodels.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	end := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	seedYear(b, store, end, 2000)
	env := map[string]string{"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.URL(), "TELEGRAM_CHAT_IDS": "1001", "TELEGRAM_ADMIN_IDS": "1001"}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		b.Fatal(err)
	}
	bot, err := New(cfg, Deps{Store: store, Version: "bench", StartedAt: end.Add(-time.Hour), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return end.Add(5 * time.Minute) }, Metrics: NewMetricsRegistry()}, tgbot.WithWorkers(1))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	srv.WaitCall(b, "getUpdates", nil, 5*time.Second)

	for _, cmd := range []struct{ text, reply string }{
		{"/cost", "sendMessage"}, {"/bill", "sendMessage"}, {"/service ec2", "sendMessage"}, {"/chart 30d", "sendPhoto"},
	} {
		// One reply first, unmeasured: a running daemon has parsed its fonts and warmed
		// its caches long before.
		seen := len(srv.Calls(cmd.reply))
		srv.SendMessage(ownerID, ownerID, cmd.text)
		n := 0
		srv.WaitCall(b, cmd.reply, func(tgtest.Call) bool { n++; return n > seen }, 10*time.Second)
		b.Run(cmd.text, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				seen := len(srv.Calls(cmd.reply))
				sent := time.Now()
				srv.SendMessage(ownerID, ownerID, cmd.text)
				n := 0
				c, ok := srv.AwaitCall(cmd.reply, func(tgtest.Call) bool { n++; return n > seen }, 10*time.Second)
				if !ok {
					b.Fatalf("%s: no %s reply", cmd.text, cmd.reply)
				}
				lat = append(lat, c.At.Sub(sent))
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.Logf("%s: %d replies, slowest %v", cmd.text, len(lat), lat[max(0, len(lat)-3):])
			b.ReportMetric(pct(0.50), "p50_ms")
			b.ReportMetric(pct(0.99), "p99_ms")
		})
	}
}
