package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"costbot/config"
	"costbot/internal/benchseed"
)

var assetRef = regexp.MustCompile(`(?:href|src)="(/static/[^"?]+)\?v=`)

// BenchmarkDashboardPages measures, on a store holding a year of hourly history for
// 2,000 resources and a year of AWS's bill (benchseed.BilledYear), each page's server time (request in, last byte of the compressed
// answer out, in the handler) and what a first visit transfers: the gzipped page plus
// the gzipped CSS and scripts it loads.
//
//	go test ./web -run '^$' -bench BenchmarkDashboardPages -benchtime 200x
func BenchmarkDashboardPages(b *testing.B) {
	store, end := benchseed.OpenYear(b, 2000), benchseed.YearEnd
	if err := benchseed.BilledYear(store, end); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_CHAT_IDS": "1001", "BOT_LANG": "en"}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return end.Add(5 * time.Minute) }
	srv, err := New(Options{Config: cfg, Store: store, Version: "bench", StartedAt: end.Add(-time.Hour), Now: now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	link, _, err := srv.LoginLink(b.Context(), 1001, 1001, "en")
	if err != nil {
		b.Fatal(err)
	}
	login := httptest.NewRecorder()
	srv.ServeHTTP(login, httptest.NewRequest("GET", strings.TrimPrefix(link, cfg.DashboardURL()), nil))
	cookies := login.Result().Cookies()
	if len(cookies) != 1 {
		b.Fatalf("login gave %d cookies", len(cookies))
	}
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		req.AddCookie(cookies[0])
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	for _, page := range []struct{ name, path string }{
		{"overview", "/"}, {"service", "/service/ec2"}, {"service_sorted_searched", "/service/ec2?sort=name&dir=asc&q=bench-0&page=2"},
		{"bills", "/bills"}, {"bill_month", "/bills/2025-06"}, {"bills_csv", "/bills.csv"}, {"lightsail", "/lightsail"}, {"status", "/status"},
	} {
		path := page.path
		first := get(path)
		if first.Code != http.StatusOK {
			b.Fatalf("%s: %d", path, first.Code)
		}
		transfer := first.Body.Len()
		if first.Header().Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(first.Body.Bytes()))
			if err != nil {
				b.Fatal(err)
			}
			page, _ := io.ReadAll(zr)
			for _, m := range assetRef.FindAllStringSubmatch(string(page), -1) {
				transfer += len(assets[strings.TrimPrefix(m[1], "/static/")].gzipped)
			}
		}
		b.Run(page.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				if rec := get(path); rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, rec.Code)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50_ms")
			b.ReportMetric(pct(0.99), "p99_ms")
			b.ReportMetric(float64(transfer)/1000, "kB_gz")
		})
	}
}
