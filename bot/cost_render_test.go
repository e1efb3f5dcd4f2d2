package bot

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"costbot/figures"
	costmodels "costbot/models"
)

func testCatalog(t *testing.T) *catalog {
	t.Helper()
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestMoneyFormats(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"zero", formatUSD(0), "$0.00"},
		{"cents", formatUSD(3.6296), "$3.63"},
		{"half up", formatUSD(58.4256), "$58.43"},
		{"under half a cent keeps four decimals", formatUSD(0.0042), "$0.0042"},
		{"thousands", formatUSD(1234.5), "$1,234.50"},
		{"millions", formatUSD(1234567.891), "$1,234,567.89"},
		{"negative", formatUSD(-2.5), "-$2.50"},
		{"rate", formatRate(0.1064), "$0.1064"},
		{"rate sum", formatRate(0.0104 + 0.096), "$0.1064"},
		{"big rate", formatRate(1234.5), "$1,234.5000"},
		{"percent", formatPercent(69.5424), "69.5%"},
		{"change up", formatChange(923.0769), "+923.1%"},
		{"change down", formatChange(-12.34), "-12.3%"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestRenderCost(t *testing.T) {
	cat := testCatalog(t)
	en := cat.translator("en")
	tz := shanghai(t)
	started := utc("2025-03-10 12:00").Add(5 * time.Second)
	v := costView{
		Now: utc("2025-03-10 12:30"), TZ: tz, HasData: true, LatestHour: utc("2025-03-10 12:00"),
		HourlyUSD: 0.153, // 0.1064 + 0.045 + 0.0016
		Services: []costmodels.ServiceCost{
			{Service: "ec2", USD: 0.1064}, {Service: "vpc", USD: 0.045}, {Service: "s3", USD: 0.0016},
		},
		TodayUSD: 1.4664, Month: "2025-03", MonthUSD: 3.6296,
		Trend:    trend{Basis: trendSameHour, BaseUSD: 0.0104},
		LastScan: &costmodels.JobRun{Job: "collect", StartedAt: started, Outcome: "ok"},
		Sources:  costmodels.PriceSourceCounts{API: 2, Cache: 1, Fallback: 3, Unpriced: 2},
	}
	got := renderCost(en, v)
	want := []string{
		"Burn rate: <b>$0.1530/h</b>",
		// (0.153 - 0.0104) / 0.0104 = +1371.2%
		"📈 +1371.2% vs the same hour yesterday ($0.0104/h)",
		"Today so far (Asia/Shanghai): <b>$1.47</b>",
		"This month so far (2025-03): <b>$3.63</b>",
		// 3.6296 + 0.153 × 515 = 82.4246
		"Month-end forecast: <b>$82.42</b>",
		// shares of 0.153: 69.5%, 29.4%, 1.0%, highest first
		"• EC2: $0.1064/h (69.5%)\n• VPC: $0.0450/h (29.4%)\n• S3: $0.0016/h (1.0%)",
		"Last scan: 2025-03-10 20:00 CST (✅ ok)",
		"Latest hour with data: 2025-03-10 20:00 CST",
		"Prices from: API 2 · cache 1 · fallback 3",
		"⚠️ Resources without a price (not in the totals): 2",
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("/cost lacks %q:\n%s", w, got)
		}
	}
	if err := checkTelegramHTML(got); err != nil {
		t.Errorf("invalid HTML: %v\n%s", err, got)
	}

	v.Sources.Unpriced, v.Trend = 0, trend{}
	if got := renderCost(en, v); strings.Contains(got, "without a price") || strings.Contains(got, "📈") {
		t.Errorf("no unpriced resources and no trend, yet:\n%s", got)
	}
	if got := renderCost(en, costView{TZ: tz}); !strings.Contains(got, en.T(msgID{"cost.no_data"})) {
		t.Errorf("no data: %s", got)
	}
	zh := renderCost(cat.translator("zh"), v)
	if !strings.Contains(zh, "月末预测：<b>$82.42</b>") {
		t.Errorf("zh /cost:\n%s", zh)
	}
}

func callbacks(m *models.InlineKeyboardMarkup) []string {
	var out []string
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			out = append(out, b.Text+"="+b.CallbackData)
		}
	}
	return out
}

func TestCostKeyboard(t *testing.T) {
	en := testCatalog(t).translator("en")
	got := strings.Join(callbacks(costKeyboard(en, []string{"ec2", "vpc", "s3", "cloudfront"})), " ")
	want := "EC2=sv:ec2::1 VPC=sv:vpc::1 S3=sv:s3::1 CloudFront=sv:cloudfront::1 🔄 Refresh=c:r « Menu=m:home"
	if got != want {
		t.Errorf("keyboard = %q, want %q", got, want)
	}
}

func TestRenderServicePage(t *testing.T) {
	cat := testCatalog(t)
	en := cat.translator("en")
	v := serviceView{
		Service: "ebs", Regions: []string{"eu-west-1", "us-east-1"}, Page: 2, Pages: 3, Total: 23, Offset: 10,
		Rows: []costmodels.ResourceRow{
			{ResourceID: "vol-1", Name: "a<b>&c", Type: "gp3", Region: "us-east-1", HourlyUSD: 0.0110, MonthlyUSD: 8, Priced: true, PriceSource: "api",
				Waste: true, WasteReason: "unattached <volume>"},
			{ResourceID: "vol-2", Type: "gp2", Region: "eu-west-1", Priced: false},
			{ResourceID: "vol-3", Name: "vol-3", Type: "st1", Region: "eu-west-1", HourlyUSD: 0.0616, MonthlyUSD: 45, Priced: true, PriceSource: "fallback"},
		},
	}
	got := renderServicePage(en, v)
	for _, w := range []string{
		"<b>EBS</b> · active resources: 23 · all regions",
		"Page 2/3",
		"11. <b>a&lt;b&gt;&amp;c</b> <code>vol-1</code>\n    gp3 · us-east-1 · $0.0110/h · $8.00/mo · API\n    ⚠️ waste: unattached &lt;volume&gt;",
		"12. <code>vol-2</code>\n    gp2 · eu-west-1 · ⚠️ unpriced",
		"13. <code>vol-3</code>\n    st1 · eu-west-1 · $0.0616/h · $45.00/mo · fallback",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("page lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "$0.0000") || strings.Contains(got, "a<b>") {
		t.Errorf("an unpriced resource shown as $0, or a name not escaped:\n%s", got)
	}
	if err := checkTelegramHTML(got); err != nil {
		t.Errorf("invalid HTML: %v", err)
	}
	zh := renderServicePage(cat.translator("zh"), v)
	if !strings.Contains(zh, "$0.0110/小时 · $8.00/月 · API 实时价") || !strings.Contains(zh, "全部区域") {
		t.Errorf("zh page:\n%s", zh)
	}
}

func TestServiceKeyboard(t *testing.T) {
	en := testCatalog(t).translator("en")
	for _, tc := range []struct {
		name string
		v    serviceView
		want string
	}{
		{"first page", serviceView{Service: "ec2", Regions: []string{"eu-west-1", "us-east-1"}, Page: 1, Pages: 3},
			"1/3=sv:ec2::1 ▶=sv:ec2::2 ✓ All=sv:ec2::1 eu-west-1=sv:ec2:eu-west-1:1 us-east-1=sv:ec2:us-east-1:1 « Services=sv: « Menu=m:home"},
		{"middle page, filtered", serviceView{Service: "ec2", Region: "us-east-1", Regions: []string{"eu-west-1", "us-east-1"}, Page: 2, Pages: 3},
			"◀=sv:ec2:us-east-1:1 2/3=sv:ec2:us-east-1:2 ▶=sv:ec2:us-east-1:3 All=sv:ec2::1 eu-west-1=sv:ec2:eu-west-1:1 ✓ us-east-1=sv:ec2:us-east-1:1 « Services=sv: « Menu=m:home"},
		{"last page of one region", serviceView{Service: "s3", Regions: []string{"us-east-1"}, Page: 2, Pages: 2},
			"◀=sv:s3::1 2/2=sv:s3::2 « Services=sv: « Menu=m:home"},
	} {
		if got := strings.Join(callbacks(serviceKeyboard(en, tc.v)), " "); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	// The longest payload there can be fits in Telegram's 64 bytes (callbackData panics
	// otherwise).
	long := serviceView{Service: "cloudwatch", Region: "ap-southeast-3", Regions: []string{"ap-southeast-3", "us-gov-west-1"}, Page: 99998, Pages: 99999}
	for _, b := range callbacks(serviceKeyboard(en, long)) {
		if _, data, _ := strings.Cut(b, "="); len(data) > maxCallbackData {
			t.Errorf("callback data %q is %d bytes", data, len(data))
		}
	}
	for _, p := range []string{"ec2:us-east-1:2", "ec2::1", "ec2", "ec2:eu-west-1:x"} {
		s, r, n := parseServicePayload(p)
		if s != "ec2" || n < 1 {
			t.Errorf("parseServicePayload(%q) = %q %q %d", p, s, r, n)
		}
	}
	if s, r, n := parseServicePayload(servicePayload("lightsail", "ap-south-1", 7)); s != "lightsail" || r != "ap-south-1" || n != 7 {
		t.Errorf("round trip = %q %q %d", s, r, n)
	}
}

func TestRenderBill(t *testing.T) {
	cat := testCatalog(t)
	en := cat.translator("en")
	tz := shanghai(t)
	closedAt := utc("2025-03-01 00:05")
	closed := figures.MonthBill{Month: "2025-02", Bill: costmodels.Bill{
		Month: "2025-02", TotalUSD: 100.128, Hours: 672, EstimatedHours: 3, Closed: true, ClosedAt: &closedAt,
		Services: []costmodels.ServiceCost{{Service: "ec2", USD: 69.888}, {Service: "vpc", USD: 30.24}},
	}, Lines: []figures.ServiceLine{
		{Service: "ec2", USD: 69.888, Priced: true, Percent: figures.Share(69.888, 100.128)},
		{Service: "vpc", USD: 30.24, Priced: true, Percent: figures.Share(30.24, 100.128)},
	}}
	got := renderBill(en, closed, tz)
	for _, w := range []string{
		"<b>Bill 2025-02</b>: final ✅",
		"Total: <b>$100.13</b>",
		"Hours with data: 672 (estimated: 3)",
		// 69.888 / 100.128 = 69.8%, 30.24 / 100.128 = 30.2%
		"• EC2: $69.89 (69.8%)\n• VPC: $30.24 (30.2%)",
		"Closed 2025-03-01 08:05 CST",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("closed bill lacks %q:\n%s", w, got)
		}
	}
	current := figures.MonthBill{Month: "2025-03", Current: true, Forecast: 58.4256, Bill: costmodels.Bill{
		Month: "2025-03", TotalUSD: 3.6296, Hours: 229, Live: true, Services: []costmodels.ServiceCost{{Service: "ec2", USD: 3.6296}},
	}, Lines: []figures.ServiceLine{{Service: "ec2", USD: 3.6296, Priced: true, Percent: 100}}}
	got = renderBill(en, current, tz)
	for _, w := range []string{"month so far, not final", "So far: <b>$3.63</b> · month-end forecast: <b>$58.43</b>", "• EC2: $3.63 (100.0%)"} {
		if !strings.Contains(got, w) {
			t.Errorf("current bill lacks %q:\n%s", w, got)
		}
	}
	if got := renderBill(en, figures.MonthBill{Month: "2025-01", Bill: costmodels.Bill{Month: "2025-01"}}, tz); got != en.T(msgID{"bill.no_data"}, map[string]any{"Month": "2025-01"}) {
		t.Errorf("empty month = %q", got)
	}
	if got := strings.Join(callbacks(billKeyboard(en, "2025-03", []string{"2025-03", "2025-02", "2025-01"})), " "); got != "2025-02=b:2025-02 2025-01=b:2025-01 « Menu=m:home" {
		t.Errorf("bill keyboard = %q", got)
	}
}

func TestRenderCollect(t *testing.T) {
	en := testCatalog(t).translator("en")
	var errs []string
	for i := range 12 {
		errs = append(errs, fmt.Sprintf("ec2/region-%d: <denied> & co", i))
	}
	got := renderCollect(en, costmodels.CollectSummary{Resources: 42, Unpriced: 1, HourlyUSD: 0.1064, Errors: errs, Duration: 12300 * time.Millisecond})
	for _, w := range []string{"12.3s", "Resources: 42 (unpriced: 1)", "<b>$0.1064/h</b>", "Errors: 12",
		"• <code>ec2/region-0: &lt;denied&gt; &amp; co</code>", "• <code>ec2/region-9:", "… and 2 more"} {
		if !strings.Contains(got, w) {
			t.Errorf("summary lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "region-10") {
		t.Errorf("more than %d errors listed:\n%s", maxErrorsShown, got)
	}
	if err := checkTelegramHTML(got); err != nil {
		t.Errorf("invalid HTML: %v", err)
	}
}

// hoursSeries is the read model's series of the 24 hours before end, its buckets in loc,
// bucket i costing what cost(i) gives per service; services in name order.
func hoursSeries(end time.Time, loc *time.Location, cost func(i int) map[string]float64) figures.Series {
	s := figures.Series{Loc: loc}
	byService := map[string][]float64{}
	for i := range figures.SeriesHours {
		s.Buckets = append(s.Buckets, end.Add(-time.Duration(figures.SeriesHours-i)*time.Hour).In(loc))
		for service, usd := range cost(i) {
			if byService[service] == nil {
				byService[service] = make([]float64, figures.SeriesHours)
				s.Services = append(s.Services, service)
			}
			byService[service][i] = usd
		}
	}
	slices.Sort(s.Services)
	for _, service := range s.Services {
		s.Values = append(s.Values, byService[service])
	}
	return s
}

// chartOf labels each kind's buckets: hours in the series' zone, every other one, the
// last always; days every third; every month.
func TestChartOf(t *testing.T) {
	tz := shanghai(t)
	end := utc("2025-03-10 13:00") // the 24 hours 2025-03-09 13:00 .. 2025-03-10 12:00
	fs := hoursSeries(end, tz, func(i int) map[string]float64 {
		switch i {
		case 0:
			return map[string]float64{"vpc": 0.045}
		case 23:
			return map[string]float64{"ec2": 0.1064, "vpc": 0.045}
		}
		return nil
	})
	s := chartOf(chart24h, fs)
	if fmt.Sprint(s.Services) != "[ec2 vpc]" || len(s.Labels) != 24 || s.Loc != tz {
		t.Fatalf("services %v, %d labels, zone %v", s.Services, len(s.Labels), s.Loc)
	}
	if s.Values[1][0] != 0.045 || s.Values[1][23] != 0.045 || s.Values[0][23] != 0.1064 || s.Values[0][0] != 0 {
		t.Errorf("values = %v", s.Values)
	}
	// 13:00 UTC is 21:00 in Shanghai; every other hour is labelled, the last one always.
	if s.Labels[23] != "20:00" || s.Labels[22] != "" || s.Labels[21] != "18:00" {
		t.Errorf("labels = %q", s.Labels)
	}
	if fmt.Sprintf("%.4f", s.Total()) != "0.1964" {
		t.Errorf("total = %v", s.Total())
	}

	today := time.Date(2025, 3, 10, 0, 0, 0, 0, tz)
	days := figures.Series{Loc: tz, Services: []string{"ec2"}, Values: [][]float64{make([]float64, figures.SeriesDays)}}
	for i := range figures.SeriesDays {
		days.Buckets = append(days.Buckets, today.AddDate(0, 0, i+1-figures.SeriesDays))
	}
	days.Values[0][0], days.Values[0][29] = 1, 2
	d := chartOf(chart30d, days)
	if len(d.Labels) != 30 || d.Values[0][29] != 2 || d.Values[0][0] != 1 || d.Total() != 3 || d.Labels[29] != "03-10" || d.Labels[26] != "03-07" || d.Labels[28] != "" {
		t.Errorf("daily = %q %v", d.Labels, d.Values)
	}

	months := figures.Series{Loc: time.UTC, Services: []string{"ec2"}, Values: [][]float64{make([]float64, figures.SeriesMonths)}}
	for i := range figures.SeriesMonths {
		months.Buckets = append(months.Buckets, utc("2024-04-01 00:00").AddDate(0, i, 0))
	}
	months.Values[0][0], months.Values[0][11] = 70, 3.63
	m := chartOf(chart12m, months)
	if len(m.Labels) != 12 || m.Labels[0] != "Apr\n2024" || m.Labels[1] != "May\n2024" || m.Labels[11] != "Mar\n2025" ||
		fmt.Sprint(m.Services) != "[ec2]" || m.Values[0][0] != 70 || m.Values[0][11] != 3.63 {
		t.Errorf("monthly = %q %v %v", m.Labels, m.Services, m.Values)
	}
	if !chartOf(chart24h, figures.Series{Buckets: fs.Buckets, Loc: tz}).Empty() {
		t.Error("a series without a service must be empty")
	}
}

// decodePNG checks the bytes are a PNG of the chart's size.
func decodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != chartWidthPx || b.Dy() != chartHeightPx {
		t.Fatalf("PNG is %dx%d, want %dx%d", b.Dx(), b.Dy(), chartWidthPx, chartHeightPx)
	}
	return img
}

// pixelsOf counts, in one pass, the pixels of exactly each of colors.
func pixelsOf(img image.Image, colors ...color.RGBA) map[color.RGBA]int {
	counts := map[color.RGBA]int{}
	for _, c := range colors {
		counts[c] = 0
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if n, ok := counts[c]; ok {
				counts[c] = n + 1
			}
		}
	}
	return counts
}

func TestRenderChart(t *testing.T) {
	tz := shanghai(t)
	end := utc("2025-03-10 13:00")
	series := chartOf(chart24h, hoursSeries(end, tz, func(int) map[string]float64 { return map[string]float64{"ec2": 0.1064, "vpc": 0.045} }))
	for _, kind := range chartKinds {
		t.Run(kind, func(t *testing.T) {
			data, err := renderChart(kind, series, end)
			if err != nil {
				t.Fatal(err)
			}
			img := decodePNG(t, data)
			// The bars are drawn in each service's color; a service not in the data is not.
			counts := pixelsOf(img, serviceColor("ec2"), serviceColor("vpc"), serviceColor("rds"))
			ec2, vpc, rds := counts[serviceColor("ec2")], counts[serviceColor("vpc")], counts[serviceColor("rds")]
			if ec2 < 10000 || vpc < 3000 || rds != 0 {
				t.Errorf("pixels: ec2 %d, vpc %d, rds %d", ec2, vpc, rds)
			}
			// EC2 costs 0.1064 of every 0.1514 stacked: its bars cover more than VPC's.
			if ec2 <= 2*vpc {
				t.Errorf("EC2 area %d not over twice VPC's %d", ec2, vpc)
			}
		})
	}
	if _, err := renderChart("7d", series, end); err == nil {
		t.Error("an unknown kind must be an error")
	}
	if _, err := renderChart(chart24h, chartSeries{Labels: []string{"a"}}, end); err == nil {
		t.Error("an empty series must be an error")
	}
}

// TestRenderChartStartsFromABlankImage renders into an image a chart drew on before
// (charts share their pixel buffers): nothing of the earlier chart may show.
func TestRenderChartStartsFromABlankImage(t *testing.T) {
	end := utc("2025-03-10 13:00")
	series := func(service string) chartSeries {
		return chartOf(chart24h, hoursSeries(end, time.UTC, func(int) map[string]float64 { return map[string]float64{service: 0.1} }))
	}
	for range 3 {
		if _, err := renderChart(chart24h, series("rds"), end); err != nil {
			t.Fatal(err)
		}
		data, err := renderChart(chart24h, series("ec2"), end)
		if err != nil {
			t.Fatal(err)
		}
		counts := pixelsOf(decodePNG(t, data), serviceColor("ec2"), serviceColor("rds"))
		if counts[serviceColor("ec2")] < 10000 || counts[serviceColor("rds")] != 0 {
			t.Fatalf("pixels after an RDS chart: ec2 %d, rds %d", counts[serviceColor("ec2")], counts[serviceColor("rds")])
		}
	}
}

func TestEventRenderers(t *testing.T) {
	cat := testCatalog(t)
	hour := utc("2025-03-10 12:00")
	events := []struct {
		kind string
		data any
		en   []string
		zh   []string
	}{
		{costmodels.EventNewResource, costmodels.NewResourceAlert{Service: "ec2", Region: "us-east-1", ID: "i-0abc", Name: "a<b>&c",
			Type: "m5.large", HourlyUSD: 0.096, MonthlyUSD: 70.08, Source: "api", Threshold: 50, SeenAt: hour},
			[]string{"over $50.00/mo", "<b>a&lt;b&gt;&amp;c</b> <code>i-0abc</code>", "EC2 · m5.large · us-east-1", "$0.0960/h · $70.08/mo · price: API"},
			[]string{"每月超过 $50.00", "<b>a&lt;b&gt;&amp;c</b>", "$0.0960/小时 · $70.08/月 · 价格来源：API 实时价"}},
		{costmodels.EventBurnJump, &costmodels.BurnJumpAlert{Hour: hour, HourlyUSD: 0.1514, MedianUSD: 0.1064, JumpPercent: 42.29, Threshold: 30,
			TopServices: []costmodels.ServiceCost{{Service: "a<b>&c", USD: 0.1064}, {Service: "vpc", USD: 0.045}}},
			// 0.1064 / 0.1514 = 70.3%, 0.045 / 0.1514 = 29.7%
			[]string{"Burn rate up +42.3%", "Now $0.1514/h vs a 24-hour median of $0.1064/h (alert at +30.0%)", "Hour: 2025-03-10 12:00 UTC",
				"• a&lt;b&gt;&amp;c: $0.1064/h (70.3%)", "• VPC: $0.0450/h (29.7%)"},
			[]string{"每小时费用上涨 +42.3%", "当前 $0.1514/小时", "• a&lt;b&gt;&amp;c：$0.1064/小时（70.3%）"}},
		{costmodels.EventBudget, costmodels.BudgetAlert{Month: "2025-03", ForecastUSD: 158.4256, BudgetUSD: 100, SoFarUSD: 33.6296},
			[]string{"Budget alert 2025-03", "forecast $158.43 is over the budget of $100.00 (so far $33.63)"},
			[]string{"2025-03 预算告警", "月末预测 $158.43 超出预算 $100.00（截至目前 $33.63）"}},
		{costmodels.EventBillClosed, costmodels.BillClosed{Month: "2025-02", TotalUSD: 100.128, Hours: 672, EstimatedHours: 3,
			Services: []costmodels.ServiceCost{{Service: "vpc", USD: 30.24}, {Service: "a<b>&c", USD: 69.888}}},
			[]string{"Bill 2025-02 is final: $100.13", "Hours with data: 672 (estimated: 3)", "• a&lt;b&gt;&amp;c: $69.89 (69.8%)\n• VPC: $30.24 (30.2%)"},
			[]string{"2025-02 账单已结算：$100.13", "（其中估算：3）", "• VPC：$30.24（占 30.2%）"}},
	}
	for _, ev := range events {
		t.Run(ev.kind, func(t *testing.T) {
			for lang, want := range map[string][]string{"en": ev.en, "zh": ev.zh} {
				render := eventRenderers[ev.kind]
				if render == nil {
					t.Fatalf("no renderer registered for %s", ev.kind)
				}
				got, err := render(cat.translator(lang), ev.data)
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("%s lacks %q:\n%s", lang, w, got)
					}
				}
				if strings.Contains(got, "a<b>") {
					t.Errorf("%s: a name is not escaped:\n%s", lang, got)
				}
				if err := checkTelegramHTML(got); err != nil {
					t.Errorf("%s: invalid HTML: %v\n%s", lang, err, got)
				}
			}
			if _, err := eventRenderers[ev.kind](cat.translator("en"), "not the data type"); err == nil {
				t.Error("data of the wrong type must be an error")
			}
		})
	}
	var nilAlert *costmodels.BudgetAlert
	if _, err := renderBudget(cat.translator("en"), nilAlert); err == nil {
		t.Error("a nil pointer must be an error")
	}
}
