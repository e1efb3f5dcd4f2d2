package bot

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	"costbot/config"
	"costbot/internal/benchseed"
	"costbot/internal/tgtest"
)

// BenchmarkCommandLatency measures, on a store holding a year of hourly history for
// 2,000 resources, the time from an update being queued at the fake Bot API to the
// bot's reply reaching it, for each command; it reports p50 and p99.
//
//	go test ./bot -run '^$' -bench BenchmarkCommandLatency -benchtime 200x
func BenchmarkCommandLatency(b *testing.B) {
	srv := tgtest.New(b)
	store, end := benchseed.OpenYear(b, 2000), benchseed.YearEnd
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
