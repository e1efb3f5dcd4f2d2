package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"costbot/config"
	"costbot/models"
)

const testToken = "123456:TEST-token-for-costbot"

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// dash is a dashboard on a real SQLite store, served by httptest.
type dash struct {
	t     *testing.T
	store *models.Store
	srv   *Server
	ts    *httptest.Server
	clock *testClock
	cfg   *config.Config
}

func newDash(t *testing.T, env map[string]string) *dash {
	t.Helper()
	return newDashWith(t, env, nil)
}

// newDashWith is newDash whose Mini App sign-in asks members about group membership.
func newDashWith(t *testing.T, env map[string]string, members MemberChecker) *dash {
	t.Helper()
	store, err := models.Open(filepath.Join(t.TempDir(), "web.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	vars := map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_CHAT_IDS": "1001,-2002", "BOT_LANG": "en", "REPORT_TZ": "Asia/Shanghai"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: utc("2025-03-10 12:30")}
	srv, err := New(Options{Config: cfg, Store: store, Version: "v-test", StartedAt: clock.Now().Add(-time.Hour), Now: clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Members: members})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &dash{t: t, store: store, srv: srv, ts: ts, clock: clock, cfg: cfg}
}

// client is a browser without a session.
func (d *dash) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// link asks for a login link as /web does, pointed at the test server.
func (d *dash) link(userID int64, lang string) string {
	d.t.Helper()
	link, _, err := d.srv.LoginLink(context.Background(), userID, userID, lang)
	if err != nil {
		d.t.Fatal(err)
	}
	return d.ts.URL + strings.TrimPrefix(link, d.cfg.DashboardURL())
}

// loggedIn is a browser that followed a fresh /web link of the user.
func (d *dash) loggedIn(userID int64, lang string) *http.Client {
	d.t.Helper()
	c := d.client()
	if status, body := d.get(c, d.link(userID, lang)); status != http.StatusOK {
		d.t.Fatalf("login: %d\n%s", status, body)
	}
	return c
}

func (d *dash) get(c *http.Client, target string) (int, string) {
	d.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = d.ts.URL + target
	}
	resp, err := c.Get(target)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// seedMarch stores two EC2 instances and an unpriced Amazon Q app, their costs since
// 2025-03-01, a closed February, a guard history and job runs.
//
//	burn now       0.0104 + 0.096                          = $0.1064/h
//	month so far   229 h × 0.0104 + 13 h × 0.096            = 2.3816 + 1.248 = $3.6296
//	today (CST)    since 2025-03-09 16:00 UTC: 21 h × 0.0104 + 13 h × 0.096 = $1.4664
//	forecast       3.6296 + 0.1064 × 515 hours left          = $58.4256
func (d *dash) seedMarch() {
	d.t.Helper()
	var rows []models.CostSummary
	for h := utc("2025-03-01 00:00"); !h.After(utc("2025-03-10 12:00")); h = h.Add(time.Hour) {
		rows = append(rows, models.CostSummary{Hour: h, Service: "ec2", Region: "us-east-1", CostUSD: 0.0104, ResourceCount: 1})
		if !h.Before(utc("2025-03-10 00:00")) {
			rows = append(rows, models.CostSummary{Hour: h, Service: "ec2", Region: "eu-west-1", CostUSD: 0.096, ResourceCount: 1})
		}
	}
	rows = append(rows, models.CostSummary{Hour: utc("2025-03-10 12:00"), Service: "q", Region: "us-east-1", CostUSD: 0, ResourceCount: 1})
	db := d.store.DB()
	if err := db.CreateInBatches(rows, 100).Error; err != nil {
		d.t.Fatal(err)
	}
	closed := utc("2025-03-01 00:10")
	feb := []models.MonthlySummary{
		{Month: "2025-02", Service: "ec2", CostUSD: 6.99, Hours: 672, Closed: true, ClosedAt: &closed, UpdatedAt: closed},
		{Month: "2025-02", Service: "s3", CostUSD: 0.25, Hours: 672, Closed: true, ClosedAt: &closed, UpdatedAt: closed},
	}
	if err := db.Create(&feb).Error; err != nil {
		d.t.Fatal(err)
	}
	resources := []models.ResourceRow{
		{Key: "a/ec2/us-east-1/i-micro", Service: "ec2", Region: "us-east-1", ResourceID: "i-micro", Name: "web", Type: "t3.micro", State: "running",
			HourlyUSD: 0.0104, MonthlyUSD: 7.592, PriceSource: "api", Priced: true, Active: true},
		{Key: "a/ec2/eu-west-1/i-large", Service: "ec2", Region: "eu-west-1", ResourceID: "i-large", Name: "batch", Type: "m5.large", State: "stopped",
			HourlyUSD: 0.096, MonthlyUSD: 70.08, PriceSource: "cache", Priced: true, Active: true, Waste: true, WasteReason: "stopped for 30 days"},
		{Key: "a/q/us-east-1/app-1", Service: "q", Region: "us-east-1", ResourceID: "app-1", Type: "qbusiness", Active: true},
	}
	if err := db.Create(&resources).Error; err != nil {
		d.t.Fatal(err)
	}
	ctx := context.Background()
	run, err := d.store.StartJobRun(ctx, "collect", utc("2025-03-10 12:00"))
	if err != nil {
		d.t.Fatal(err)
	}
	if err := d.store.FinishJobRun(ctx, run, utc("2025-03-10 12:00").Add(20*time.Second), "resources=3", nil); err != nil {
		d.t.Fatal(err)
	}
	usage := models.LightsailUsage{CheckedAt: utc("2025-03-10 12:20"), Region: "us-east-1", Instance: "blog", Cycle: "2025-03", State: "running",
		UsedBytes: 523e9, AllowanceBytes: 1000e9, FullAllowanceBytes: 1000e9, Percent: 52.3, InstanceID: "arn:blog", EstimateStatus: models.EstimateIdle}
	if err := d.store.SaveLightsailChecks(ctx, "", "us-east-1", "2025-03", usage.CheckedAt, []models.LightsailUsage{usage}); err != nil {
		d.t.Fatal(err)
	}
	if err := d.store.AddLightsailAction(ctx, "", &models.LightsailAction{At: utc("2025-03-09 08:00"), Cycle: "2025-03", Region: "us-east-1",
		Instance: "blog", Action: "warn", Level: 50, Actor: "guard", Reason: "traffic at 50%", Result: "ok"}); err != nil {
		d.t.Fatal(err)
	}
	if err := d.store.AddLightsailAction(ctx, "", &models.LightsailAction{At: utc("2025-02-20 08:00"), Cycle: "2025-02", Region: "us-east-1",
		Instance: "blog", Action: "stop", Level: 95, Actor: "guard", Reason: "traffic at 95% last cycle", Result: "ok"}); err != nil {
		d.t.Fatal(err)
	}
}

// insecureJar hands Secure cookies to plain-http test servers too.
type insecureJar struct{ http.CookieJar }

func (j *insecureJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	for _, c := range cookies {
		c.Secure = false
	}
	j.CookieJar.SetCookies(u, cookies)
}

// expectPage opens path as a user signed in in lang and expects the page to show every
// text of want and none of not.
func (d *dash) expectPage(t *testing.T, lang, path string, want, not []string) {
	t.Helper()
	status, body := d.get(d.loggedIn(1001, lang), path)
	if status != http.StatusOK {
		t.Fatalf("%s: status %d", path, status)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", path, w)
		}
	}
	for _, w := range not {
		if strings.Contains(body, w) {
			t.Errorf("%s shows %q", path, w)
		}
	}
}
