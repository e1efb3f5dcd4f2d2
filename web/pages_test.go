package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"costbot/config"
	"costbot/locale"
	"costbot/models"
)

// pagePaths are every page of the dashboard, for the tests that go through all.
var pagePaths = []string{"/", "/service/ec2", "/service/q", "/bills", "/bills.csv", "/bills/2025-03", "/bills/2025-02.csv", "/lightsail", "/status", "/no/such/page"}

func TestEveryURLWithoutASessionGetsOnlyTheLoginPage(t *testing.T) {
	d := newDash(t, nil)
	d.seedMarch()
	c := d.client()
	for _, path := range append(pagePaths, "/login", "/login?t=forged.123.abc") {
		status, body := d.get(c, path)
		if status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", path, status)
		}
		if !strings.Contains(body, "Send /web to the bot") {
			t.Errorf("%s: not the login page:\n%s", path, body)
		}
		for _, secret := range []string{"$", "i-micro", "batch", "blog", "2025-02", "collect"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s: the login page shows %q", path, secret)
			}
		}
	}
	// Writing endpoints refuse too.
	resp, err := c.PostForm(d.ts.URL+"/lang", map[string][]string{"lang": {"zh"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /lang without a session: %d", resp.StatusCode)
	}
}

func TestPagesInBothLanguages(t *testing.T) {
	d := newDash(t, nil)
	d.seedMarch()
	type page struct {
		path string
		want map[string][]string // language -> texts the page shows
	}
	pages := []page{
		{"/", map[string][]string{
			"en": {"Burn rate", "$0.1064/h", "$1.47", "$3.63", "$58.43", "Month-end forecast", "web", "i-large", "stopped for 30 days", "✅ ok", "2025-03-10 20:00 CST"},
			"zh": {"当前费率", "$0.1064/h", "$1.47", "$3.63", "$58.43", "月末预测", "费用最高的 20 个资源"},
		}},
		{"/service/ec2", map[string][]string{
			"en": {"2 active resources", "i-micro", "i-large", "t3.micro", "$0.0960", "$70.08", "cache", "All regions"},
			"zh": {"2 个活动资源", "缓存", "全部区域"},
		}},
		{"/service/q", map[string][]string{"en": {"app-1", "unpriced"}, "zh": {"app-1", "未定价"}}},
		{"/bills", map[string][]string{
			"en": {"2025-03", "2025-02", "this month, so far", "final", "$7.24", "$0.25"},
			"zh": {"本月，截至目前", "最终", "$7.24"},
		}},
		{"/bills/2025-02", map[string][]string{"en": {"$7.24", "final", "672", "Download as CSV"}, "zh": {"最终", "下载为 CSV"}}},
		{"/bills/2025-03", map[string][]string{"en": {"$3.63", "$58.43", "this month, so far"}, "zh": {"月末预测"}}},
		{"/lightsail", map[string][]string{
			"en": {"blog", "523.00 GB", "1000.00 GB", "52.3%", "traffic at 50%", "traffic at 95% last cycle", "no traffic growth"},
			"zh": {"blog", "守护的最近操作", "流量没有增长"},
		}},
		{"/status", map[string][]string{"en": {"v-test", "collect", "1h0m0s", "resources=3"}, "zh": {"版本", "运行时间"}}},
	}
	for _, lang := range []string{"en", "zh"} {
		c := d.loggedIn(1001, lang)
		for _, p := range pages {
			status, body := d.get(c, p.path)
			if status != http.StatusOK {
				t.Errorf("%s %s: status %d", lang, p.path, status)
				continue
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: not in %s", lang, p.path, lang)
			}
			for _, w := range p.want[lang] {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s lacks %q", lang, p.path, w)
				}
			}
		}
	}
}

func TestSwitchingLanguageKeepsThePage(t *testing.T) {
	d := newDash(t, nil)
	d.seedMarch()
	c := d.loggedIn(1001, "en")
	resp, err := c.PostForm(d.ts.URL+"/lang", map[string][]string{"lang": {"zh"}, "back": {"/service/ec2?region=us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/service/ec2?region=us-east-1" {
		t.Errorf("switch: %d to %q", resp.StatusCode, loc)
	}
	if _, body := d.get(c, "/"); !strings.Contains(body, "当前费率") {
		t.Error("the language did not change")
	}
	// An off-site "back" goes home instead.
	resp, err = c.PostForm(d.ts.URL+"/lang", map[string][]string{"lang": {"en"}, "back": {"//evil.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("off-site back: redirected to %q", loc)
	}
}

func TestHostileNamesAreEscaped(t *testing.T) {
	d := newDash(t, nil)
	d.seedMarch()
	hostile := `<script>alert(1)</script>`
	rows := []models.ResourceRow{{Key: "a/ec2/us-east-1/evil", Service: "ec2", Region: "us-east-1", ResourceID: `i-"><img src=x onerror=alert(2)>`,
		Name: hostile, Type: "t3.micro", State: "running", HourlyUSD: 5, MonthlyUSD: 3650, PriceSource: "api", Priced: true, Active: true,
		Waste: true, WasteReason: `</script><script>alert(3)</script>`}}
	if err := d.store.DB().Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if err := d.store.AddLightsailAction(context.Background(), "", &models.LightsailAction{At: utc("2025-03-10 08:00"), Cycle: "2025-03", Region: "us-east-1",
		Instance: hostile, Action: "stop", Actor: "guard", Reason: hostile, Result: "failed", Error: hostile}); err != nil {
		t.Fatal(err)
	}
	c := d.loggedIn(1001, "en")
	for _, path := range []string{"/", "/service/ec2", "/service/ec2?q=" + "%3Cscript%3E", "/lightsail"} {
		_, body := d.get(c, path)
		for _, raw := range []string{"<script>alert", "<img src=x", "</script><script>"} {
			if strings.Contains(body, raw) {
				t.Errorf("%s: %q reached the page unescaped", path, raw)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the hostile name is not shown escaped", path)
		}
	}
}

func TestServiceTableSortsFiltersSearchesAndPages(t *testing.T) {
	d := newDash(t, nil)
	var rows []models.ResourceRow
	for i := range 120 {
		region := []string{"us-east-1", "eu-west-1", "ap-northeast-1"}[i%3]
		rows = append(rows, models.ResourceRow{Key: fmt.Sprintf("k%03d", i), Service: "ec2", Region: region, ResourceID: fmt.Sprintf("i-%03d", i),
			Name: fmt.Sprintf("node-%03d", i), Type: "t3.micro", State: "running", HourlyUSD: float64(i) / 1000, MonthlyUSD: float64(i) * 0.73,
			PriceSource: "api", Priced: true, Active: true})
	}
	if err := d.store.DB().CreateInBatches(rows, 50).Error; err != nil {
		t.Fatal(err)
	}
	c := d.loggedIn(1001, "en")
	ids := regexp.MustCompile(`<code>(i-\d+)</code>`)
	listed := func(path string) []string {
		t.Helper()
		status, body := d.get(c, path)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", path, status)
		}
		var out []string
		for _, m := range ids.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	for _, tc := range []struct {
		name, path  string
		count       int
		first, last string
	}{
		{"default: costliest first, 50 a page", "/service/ec2", 50, "i-119", "i-070"},
		{"page 3 holds the rest", "/service/ec2?page=3", 20, "i-019", "i-000"},
		{"sort by name ascending", "/service/ec2?sort=name&dir=asc", 50, "i-000", "i-049"},
		{"sort by $/h descending", "/service/ec2?sort=hourly&dir=desc&page=2", 50, "i-069", "i-020"},
		{"filter by region", "/service/ec2?region=eu-west-1&sort=name&dir=asc", 40, "i-001", "i-118"},
		{"search by name", "/service/ec2?q=NODE-11", 10, "i-119", "i-110"},
		{"search by ID within a region", "/service/ec2?q=i-00&region=us-east-1&sort=id&dir=asc", 4, "i-000", "i-009"},
		{"a percent sign is literal", "/service/ec2?q=%25", 0, "", ""},
		{"an unknown sort column sorts as default", "/service/ec2?sort=1;DROP", 50, "i-119", "i-070"},
	} {
		got := listed(tc.path)
		if len(got) != tc.count {
			t.Errorf("%s: %d rows, want %d", tc.name, len(got), tc.count)
			continue
		}
		if tc.count > 0 && (got[0] != tc.first || got[len(got)-1] != tc.last) {
			t.Errorf("%s: %s..%s, want %s..%s", tc.name, got[0], got[len(got)-1], tc.first, tc.last)
		}
	}
	if status, _ := d.get(c, "/service/nosuch"); status != http.StatusNotFound {
		t.Errorf("unknown service: %d", status)
	}
}

func TestBillsCSV(t *testing.T) {
	d := newDash(t, nil)
	d.seedMarch()
	c := d.loggedIn(1001, "en")
	for _, tc := range []struct {
		path string
		want [][]string
	}{
		{"/bills.csv", [][]string{
			{"month", "service", "estimated_usd", "status", "hours", "estimated_hours", "billed_usd", "billed_days_estimated_usd", "billed_from", "billed_through", "billed_status", "kind", "unpriced_resources"},
			{"2025-03", "ec2", "3.629600", "provisional", "229", "0", "", "", "", "", "", "service", "0"},
			{"2025-03", "q", "0.000000", "provisional", "229", "0", "", "", "", "", "", "service", "0"},
			{"2025-02", "ec2", "6.990000", "final", "672", "0", "", "", "", "", "", "service", "0"},
			{"2025-02", "s3", "0.250000", "final", "672", "0", "", "", "", "", "", "service", "0"},
		}},
		{"/bills/2025-02.csv", [][]string{
			{"month", "service", "estimated_usd", "status", "hours", "estimated_hours", "billed_usd", "billed_days_estimated_usd", "billed_from", "billed_through", "billed_status", "kind", "unpriced_resources"},
			{"2025-02", "ec2", "6.990000", "final", "672", "0", "", "", "", "", "", "service", "0"},
			{"2025-02", "s3", "0.250000", "final", "672", "0", "", "", "", "", "", "service", "0"},
		}},
	} {
		status, body := d.get(c, tc.path)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", tc.path, status)
		}
		got, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.path, got, tc.want)
		}
	}
}

func TestSecurityHeadersAndAssets(t *testing.T) {
	d := newDash(t, nil)
	c := d.loggedIn(1001, "en")
	resp, err := c.Get(d.ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, w := range []string{"default-src 'none'", "script-src 'self';", "style-src 'self';", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, w) {
			t.Errorf("CSP %q lacks %q", csp, w)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
		t.Errorf("CSP allows inline code or another origin: %q", csp)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a page may be cached: %q", resp.Header.Get("Cache-Control"))
	}
	for name := range assets {
		resp, err := c.Get(d.ts.URL + assetURL(name))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d, Cache-Control %q", name, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	// With an https Mini App URL, cookies are Secure and Telegram's web client may frame the page.
	ds := newDash(t, map[string]string{"WEB_PUBLIC_URL": "https://costs.example.org", "HTTP_ADDR": "127.0.0.1:0"})
	resp, err = ds.client().Get(ds.link(1001, "en"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors https://web.telegram.org") {
		t.Errorf("Mini App CSP: %q", resp.Header.Get("Content-Security-Policy"))
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || !cookies[0].Secure || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie behind https: %+v", cookies)
	}
}

func TestEveryServiceHasADisplayName(t *testing.T) {
	if len(config.Services) < 13 || !slices.Contains(config.Services, "elb") {
		t.Fatalf("the service list the dashboard names: %v", config.Services)
	}
	for _, s := range config.Services {
		if name := locale.DisplayName(s); name == "" || name == s {
			t.Errorf("no display name for %s", s)
		}
	}
}
