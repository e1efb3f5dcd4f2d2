package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"image/png"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"costbot/internal/awstest"
	"costbot/internal/tgtest"
)

// chromiumPath finds Debian's chromium; without it the browser test skips, except under
// CI=true, where it fails (.ci/run installs it).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const how = "install Debian's chromium (apt-get update && apt-get install -y chromium) to run the dashboard's browser test"
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found under CI=true: " + how)
	}
	t.Skip("chromium not found: " + how)
	return ""
}

// browser is a headless Chromium that records every request and every console error,
// exception, CSP violation and dialog of its tab.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
	problems []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b := &browser{ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, e.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				b.problems = append(b.problems, fmt.Sprintf("console.%s %v", e.Type, e.Args))
			}
		case *runtime.EventExceptionThrown:
			b.problems = append(b.problems, "exception: "+(&chromedp.ExceptionError{ExceptionDetails: e.ExceptionDetails}).Error())
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				b.problems = append(b.problems, fmt.Sprintf("%s %s: %s (%s)", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		case *page.EventJavascriptDialogOpening:
			b.problems = append(b.problems, "dialog: "+e.Message)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func evaluate[T any](t *testing.T, b *browser, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// screenshot saves the viewport as name.png in DASHBOARD_SCREENSHOTS (else a temporary
// folder) and checks it is a PNG of the viewport's size.
func (b *browser) screenshot(t *testing.T, name string, width, height int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil || img.Bounds().Dx() != width || img.Bounds().Dy() != height {
		t.Errorf("screenshot %s: %v, size %v, want %dx%d", name, err, img.Bounds(), width, height)
	}
	dir := os.Getenv("DASHBOARD_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signInitData is a Mini App's initData for userID, signed as Telegram documents it
// (core.telegram.org/bots/webapps): the sorted key=value lines, HMAC-SHA256 with the key
// HMAC-SHA256("WebAppData", token).
func signInitData(token string, userID int64, at time.Time) string {
	fields := map[string]string{
		"query_id":  "AAHdF6IQAAAAAN0XohDhrOrc",
		"user":      fmt.Sprintf(`{"id":%d,"first_name":"Ana","language_code":"en"}`, userID),
		"auth_date": fmt.Sprint(at.Unix()),
	}
	keys := slices.Sorted(maps.Keys(fields))
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + "=" + fields[k]
	}
	secret := hmac.New(sha256.New, []byte("WebAppData"))
	secret.Write([]byte(token))
	m := hmac.New(sha256.New, secret.Sum(nil))
	m.Write([]byte(strings.Join(lines, "\n")))
	v := url.Values{"hash": {hex.EncodeToString(m.Sum(nil))}}
	for k, f := range fields {
		v.Set(k, f)
	}
	return v.Encode()
}

// TestDashboardInChromium is issue 14's done-when, in a real browser against the real
// binary: /web gives a link; following it shows the overview with /cost's burn rate; the
// EC2 page lists every EC2 instance of `costbot scan`, sorts and filters; hostile names
// stay text; at a phone's and a desktop's size, with no console error and no request to
// another origin. Screenshots: set DASHBOARD_SCREENSHOTS=/some/dir to keep them.
func TestDashboardInChromium(t *testing.T) {
	b := newBrowser(t)
	moto := awstest.StartMoto(t)
	moto.Reset(t)
	ctx := awstest.Context(t)
	run := func(region, instanceType, name string, n int32) {
		t.Helper()
		in := &ec2.RunInstancesInput{ImageId: awssdk.String("ami-12c6146b"), InstanceType: ec2types.InstanceType(instanceType),
			MinCount: awssdk.Int32(n), MaxCount: awssdk.Int32(n)}
		if name != "" {
			in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
				Tags: []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String(name)}}}}
		}
		if _, err := ec2.NewFromConfig(moto.Config(region)).RunInstances(ctx, in); err != nil {
			t.Fatalf("run %s in %s: %v", instanceType, region, err)
		}
	}
	run("us-east-1", "t3.micro", "web", 52) // more than a page of 50
	run("us-east-1", "m5.large", "batch", 2)
	run("eu-west-1", "t3.small", "worker", 2)
	run("eu-west-1", "t3.small", "<script>alert(1)</script>", 1)

	pricingAPI := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	lightsail := awstest.StartLightsail(t)
	tg := tgtest.New(t)
	httpAddr := freeAddr(t)
	dbPath := filepath.Join(t.TempDir(), "costbot.db")
	env := cleanEnv(
		"TELEGRAM_BOT_TOKEN="+tg.Token(), "TELEGRAM_API_URL="+tg.URL(), "TELEGRAM_CHAT_IDS=4242", "BOT_LANG=en", "REPORT_TZ=UTC",
		"DB_PATH="+dbPath, "HTTP_ADDR="+httpAddr,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL="+moto.URL, "AWS_ENDPOINT_URL_PRICING="+pricingAPI.URL, "AWS_ENDPOINT_URL_LIGHTSAIL="+lightsail.URL,
		"COST_REGIONS=us-east-1,eu-west-1", "COST_SERVICES=ec2,ebs,vpc", "LIGHTSAIL_REGIONS=us-east-1",
	)
	d := startDaemon(t, env)
	waitFor(t, d, "the first collection", func() bool {
		n, _ := dbQuery[int](t, dbPath, `SELECT COUNT(*) FROM job_runs WHERE job = 'collect' AND outcome = 'ok'`)
		return n > 0
	})
	tg.WaitCall(t, "getUpdates", nil, 10*time.Second)
	ask := func(text string) string {
		t.Helper()
		sent := time.Now()
		tg.SendMessage(4242, 4242, text)
		return tg.WaitCall(t, "sendMessage", func(c tgtest.Call) bool {
			return c.At.After(sent) && c.Params["chat_id"] == "4242"
		}, 10*time.Second).Params["text"]
	}
	costText := ask("/cost")
	burn := regexp.MustCompile(`Burn rate: <b>(\$[0-9.,]+)/h</b>`).FindStringSubmatch(costText)
	if burn == nil {
		t.Fatal("/cost shows no burn rate")
	}
	forecast := regexp.MustCompile(`Month-end forecast: <b>(\$[0-9.,]+)</b>`).FindStringSubmatch(costText)
	if forecast == nil {
		t.Fatal("/cost shows no month-end forecast")
	}
	href := regexp.MustCompile(`href="([^"]+)"`).FindStringSubmatch(ask("/web"))
	if href == nil {
		t.Fatal("/web gave no link")
	}
	link := html.UnescapeString(href[1])
	base := "http://" + httpAddr
	if !strings.HasPrefix(link, base+"/login?t=") {
		t.Fatalf("the link %q is not the dashboard's", link)
	}

	// No session: the login page, and no figure.
	b.do(t, "open without a session", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/service/ec2"), chromedp.WaitVisible(chromedp.CSS("main")))
	if text := evaluate[string](t, b, `document.body.innerText`); !strings.Contains(text, "Send /web") || strings.Contains(text, "$") || strings.Contains(text, "i-") {
		t.Errorf("without a session the page shows:\n%s", text)
	}

	// Inside Telegram: the Mini App's launch parameters in the fragment; app.js signs in
	// with initData, reloads, and takes Telegram's colours.
	theme := url.QueryEscape(`{"bg_color":"#112233","secondary_bg_color":"#223344","text_color":"#eeeeee","hint_color":"#99aabb","button_color":"#ff8800","button_text_color":"#000000"}`)
	b.do(t, "open as a Mini App",
		chromedp.Navigate(base+"/bills#tgWebAppData="+url.QueryEscape(signInitData(tg.Token(), 4242, time.Now()))+"&tgWebAppVersion=8.0&tgWebAppThemeParams="+theme),
		chromedp.WaitVisible(chromedp.ID("bills")),
	)
	if bg := evaluate[string](t, b, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(17, 34, 51)" {
		t.Errorf("the Mini App's background is %s, not Telegram's", bg)
	}
	b.screenshot(t, "miniapp-bills-390x844", 390, 844)
	// A forged initData (another user under the same hash) gets nothing.
	forged := strings.Replace(signInitData(tg.Token(), 4242, time.Now()), "%22id%22%3A4242", "%22id%22%3A4243", 1)
	status := evaluate[int](t, b, `fetch("/auth/telegram", {method: "POST", body: new URLSearchParams({initData: `+"`"+forged+"`"+`})}).then(r => r.status)`, chromedp.EvalAwaitPromise)
	if status != 401 {
		t.Errorf("a forged initData: %d, want 401", status)
	}
	// Until then the browser saw the 401s it was meant to see, and nothing else.
	b.mu.Lock()
	for _, p := range b.problems {
		if !strings.Contains(p, "status of 401 (Unauthorized)") {
			t.Errorf("browser, before signing in: %s", p)
		}
	}
	b.problems = nil
	b.mu.Unlock()
	evaluate[bool](t, b, `sessionStorage.clear(), true`)
	if _, err := chromedp.Call(b.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}

	// A phone: the overview after the link, with /cost's burn rate and both charts.
	b.do(t, "open the link on a phone",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("burn-rate")),
		chromedp.WaitVisible(chromedp.CSS(`[data-chart="chart-months"] .uplot`)),
	)
	if got := evaluate[string](t, b, `document.getElementById("burn-rate").textContent`); got != burn[1]+"/h" {
		t.Errorf("the overview's burn rate is %q, /cost's %s/h", got, burn[1])
	}
	if got := evaluate[string](t, b, `document.getElementById("forecast").textContent`); got != forecast[1] {
		t.Errorf("the overview's month-end forecast is %q, /cost's %s", got, forecast[1])
	}
	b.screenshot(t, "overview-390x844", 390, 844)

	// EC2: every instance the scan sees, 50 a page.
	b.do(t, "open EC2", chromedp.Click(chromedp.CSS(`nav a[href="/service/ec2"]`)), chromedp.WaitVisible(chromedp.ID("resources")))
	b.screenshot(t, "ec2-390x844", 390, 844)
	listed := func() []string {
		return evaluate[[]string](t, b, `[...document.querySelectorAll("#resources tbody code")].map(c => c.textContent)`)
	}
	ids := listed()
	if len(ids) != 50 {
		t.Errorf("the first EC2 page lists %d instances, want 50", len(ids))
	}
	b.do(t, "next page", chromedp.Click(chromedp.CSS(`a[rel="next"]`)), chromedp.WaitVisible(chromedp.CSS(`a[rel="prev"]`)))
	ids = append(ids, listed()...)
	var scanned []string
	for _, r := range scanJSON(t, env).Resources {
		if r.Service == "ec2" {
			scanned = append(scanned, r.ID)
		}
	}
	slices.Sort(ids)
	slices.Sort(scanned)
	if len(scanned) != 57 || !slices.Equal(ids, scanned) {
		t.Errorf("the EC2 pages list %d instances, costbot scan %d:\n%v\n%v", len(ids), len(scanned), ids, scanned)
	}

	// Sort by name, then by $/h (highest first): the m5.large instances lead.
	b.do(t, "sort by name", chromedp.Click(chromedp.CSS(`a[data-sort="name"]`)), chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="ascending"] a[data-sort="name"]`)))
	names := evaluate[[]string](t, b, `[...document.querySelectorAll("#resources tbody tr")].map(r => (r.querySelector("strong") || {}).textContent || "")`)
	if len(names) != 50 || !slices.IsSorted(names) {
		t.Errorf("sorted by name: %v", names)
	}
	b.do(t, "sort by $/h", chromedp.Click(chromedp.CSS(`a[data-sort="hourly"]`)), chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="descending"] a[data-sort="hourly"]`)))
	rates := evaluate[[]string](t, b, `[...document.querySelectorAll("#resources tbody tr")].slice(0, 3).map(r => r.cells[4].textContent)`)
	if len(rates) != 3 || rates[0] != "$0.0960" || rates[1] != "$0.0960" || rates[2] == "$0.0960" {
		t.Errorf("sorted by $/h, the first rows cost %v", rates)
	}

	// Filter by region (the select applies itself), then search.
	evaluate[bool](t, b, `(() => { const s = document.getElementById("region"); s.value = "eu-west-1"; s.dispatchEvent(new Event("change")); return true })()`)
	b.do(t, "filter eu-west-1", chromedp.WaitReady(chromedp.CSS(`#region option[value="eu-west-1"][selected]`)))
	regions := evaluate[[]string](t, b, `[...document.querySelectorAll("#resources tbody tr")].map(r => r.cells[1].textContent)`)
	if len(regions) != 3 || slices.ContainsFunc(regions, func(r string) bool { return r != "eu-west-1" }) {
		t.Errorf("filtered to eu-west-1: %v", regions)
	}
	b.do(t, "search", chromedp.SendKeys(chromedp.ID("search"), "script\n"), chromedp.WaitReady(chromedp.CSS(`#search[value="script"]`)))
	found := evaluate[[]string](t, b, `[...document.querySelectorAll("#resources tbody strong")].map(s => s.textContent)`)
	if len(found) != 1 || found[0] != "<script>alert(1)</script>" {
		t.Errorf("searching 'script' in eu-west-1 finds %q, want the hostile name shown as text", found)
	}

	// Two accounts: the overview breaks the month down per account, and its filter
	// narrows every figure to one.
	const second = "210987654321"
	dbExec(t, dbPath,
		`INSERT INTO accounts (id, name, role_arn, problem, job, gone) SELECT DISTINCT account_id, 'main', '', '', '', 0 FROM cost_summary WHERE true
			ON CONFLICT (id) DO UPDATE SET name = 'main'`,
		`INSERT INTO accounts (id, name, role_arn, problem, job, gone) VALUES ('`+second+`', 'second', '', '', '', 0)`,
		`INSERT INTO cost_summary (hour, account_id, service, region, cost_usd, resource_count, estimated)
			VALUES (strftime('%Y-%m-01 00:00:00+00:00', 'now'), '`+second+`', 'ec2', 'us-east-1', 5, 1, 0)`,
	)
	b.do(t, "overview with two accounts", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("by-account")))
	perAccount := evaluate[[]string](t, b, `[...document.querySelectorAll("#by-account tbody tr")].map(r => r.cells[0].textContent + "=" + r.cells[1].textContent)`)
	if len(perAccount) != 2 || !slices.Contains(perAccount, "second ("+second+")=$5.00") {
		t.Errorf("the overview's accounts: %q, want two, one of them second's $5.00", perAccount)
	}
	b.do(t, "filter to the second account",
		chromedp.Click(chromedp.CSS(`#account-filter a[href="/?account=`+second+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#account-filter a.active[href="/?account=`+second+`"]`)),
	)
	if got := evaluate[string](t, b, `document.getElementById("month").textContent`); got != "$5.00" {
		t.Errorf("filtered to the second account, the month so far is %q, want $5.00", got)
	}
	b.screenshot(t, "overview-accounts-390x844", 390, 844)

	// A desktop.
	b.do(t, "overview on a desktop",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-chart="chart-hours"] .uplot`)),
	)
	b.screenshot(t, "overview-1280x800", 1280, 800)
	b.do(t, "EC2 on a desktop", chromedp.Navigate(base+"/service/ec2"), chromedp.WaitVisible(chromedp.ID("resources")))
	b.screenshot(t, "ec2-1280x800", 1280, 800)
	// Dark: the pages follow the system's colour scheme.
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	b.do(t, "overview in dark", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-chart="chart-hours"] .uplot`)))
	if bg := evaluate[string](t, b, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(15, 18, 22)" {
		t.Errorf("dark scheme: the page's background is %s", bg)
	}
	b.screenshot(t, "overview-dark-1280x800", 1280, 800)
	// Chinese, on a phone: the language switch keeps the page.
	b.do(t, "switch to Chinese",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/service/ec2"),
		chromedp.Click(chromedp.CSS(`button[name="lang"][value="zh"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="zh"] #resources`)),
	)
	if got := evaluate[string](t, b, `document.getElementById("count").textContent`); !strings.Contains(got, "57 个活动资源") {
		t.Errorf("the EC2 page in Chinese says %q", got)
	}
	b.screenshot(t, "ec2-zh-dark-390x844", 390, 844)
	for _, p := range []string{"/bills", "/lightsail", "/status"} {
		b.do(t, p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("browser: %s", p)
	}
	if len(b.requests) < 10 {
		t.Errorf("only %d requests recorded", len(b.requests))
	}
	for _, r := range b.requests {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "data" && u.Host != httpAddr) {
			t.Errorf("a request to another origin: %s", r)
		}
	}
}
