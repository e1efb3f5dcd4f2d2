package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"costbot/figures"
	"costbot/models"
)

// seedBilled stores what Cost Explorer billed for 2025-03-01 .. 03-03 (provisional) and
// one day of February (final), beside seedMarch's estimate:
//
//	EC2 compute    3 × 0.30                 = $0.90 (estimate 3 × 24 × 0.0104 = $0.7488)
//	EC2 transfer   3 × 0.05                 = $0.15 (Data transfer: not estimated)
//	Tax                                       $0.10
//	Lightsail overage, ap-northeast-1, 2 GB   $0.28
//	gross                                     $1.43
//	credit                                   -$0.20  net $1.23
//	forecast   58.4256 - 0.7488 + 1.43       = $59.1068
func (d *dash) seedBilled(otherName string) {
	d.t.Helper()
	ctx := context.Background()
	day := func(n int) time.Time { return time.Date(2025, 3, n, 0, 0, 0, 0, time.UTC) }
	var lines []models.BilledCost
	for n := 1; n <= 3; n++ {
		lines = append(lines,
			models.BilledCost{Day: day(n), Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:t3.micro", Record: models.RecordUsage, UnblendedUSD: 0.30, NetUSD: 0.30, Estimated: true},
			models.BilledCost{Day: day(n), Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "DataTransfer-Out-Bytes", Record: models.RecordUsage, UnblendedUSD: 0.05, NetUSD: 0.05, Quantity: 0.5, Unit: "GB", Estimated: true})
	}
	lines = append(lines,
		models.BilledCost{Day: day(1), Service: "Tax", UsageType: "", Record: "Tax", UnblendedUSD: 0.10, NetUSD: 0.10, Estimated: true},
		models.BilledCost{Day: day(2), Service: "Amazon Lightsail", UsageType: "APN1-DataXfer-Out-Overage-Bytes", Record: models.RecordUsage, UnblendedUSD: 0.28, NetUSD: 0.28, Quantity: 2, Unit: "GB", Estimated: true},
		models.BilledCost{Day: day(2), Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "", Record: models.RecordCredit, UnblendedUSD: -0.20, NetUSD: -0.20, Estimated: true})
	if otherName != "" {
		lines = append(lines, models.BilledCost{Day: day(3), Service: otherName, UsageType: "Requests", Record: models.RecordUsage, UnblendedUSD: 0.01, NetUSD: 0.01, Estimated: true})
	}
	if err := d.store.ReplaceBilled(ctx, "2025-03", day(1), day(4), lines, false, utc("2025-03-10 06:00")); err != nil {
		d.t.Fatal(err)
	}
	feb := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	if err := d.store.ReplaceBilled(ctx, "2025-02", feb, day(1), []models.BilledCost{
		{Day: feb, Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:t3.micro", Record: models.RecordUsage, UnblendedUSD: 7.10, NetUSD: 7.10},
	}, true, utc("2025-03-05 06:00")); err != nil {
		d.t.Fatal(err)
	}
}

// With Cost Explorer read, the overview, the bills and a month's page show AWS's bill
// beside the estimate, in both languages, and the forecast counts the billed days in
// AWS's figures; with COST_EXPLORER_INTERVAL=off the same stored bill is not shown.
func TestPagesShowAWSBillBesideTheEstimate(t *testing.T) {
	on := newDash(t, nil)
	on.seedMarch()
	on.seedBilled("")
	off := newDash(t, map[string]string{"COST_EXPLORER_INTERVAL": "off"})
	off.seedMarch()
	off.seedBilled("")
	c, err := on.store.BillComparison(context.Background(), "2025-03", time.Time{}, on.cfg.CostServices)
	if err != nil {
		t.Fatal(err)
	}
	if !near(c.GrossUSD, 1.43) || !near(c.NetUSD, 1.23) || !near(c.EstimatedUSD, 0.7488) {
		t.Fatalf("the seeded comparison is not the one the test reads: %+v", c)
	}
	if f := figures.ForecastCounted(58.4256, &c); !near(f, 59.1068) {
		t.Fatalf("forecast with the billed days: %v", f)
	}
	for _, tc := range []struct {
		name, path, lang string
		d                *dash
		want, not        []string
	}{
		{"overview en", "/", "en", on,
			[]string{"AWS billed this month", `id="billed">$1.43<`, "through 2025-03-03", "estimate for those days $0.75", `id="forecast">$59.11<`, "bill through 2025-03-03, then costbot"},
			[]string{"at the latest hour&#39;s rate"}},
		{"overview zh", "/", "zh", on,
			[]string{"AWS 本月已计费", "截至 2025-03-03", `id="forecast">$59.11<`, "AWS 账单截至 2025-03-03，其余为 costbot 的估算"}, nil},
		{"overview off", "/", "en", off,
			[]string{`id="forecast">$58.43<`, "at the latest hour"}, []string{"AWS billed this month", "$1.43"}},
		{"bills en", "/bills", "en", on,
			[]string{"Billed by AWS", "<strong>$1.43</strong>", "net $1.23 · provisional", "<strong>$7.10</strong>", "net $7.10 · final", "billed $0.90", "billed $7.10"}, nil},
		{"bills zh", "/bills", "zh", on, []string{"AWS 计费", "净额 $1.23 · 暂定", "净额 $7.10 · 最终", "计费 $0.90"}, nil},
		{"bills off", "/bills", "en", off, []string{"$3.63"}, []string{"Billed by AWS", "$1.43"}},
		{"march en", "/bills/2025-03", "en", on,
			[]string{"What AWS billed 2025-03-01 – 2025-03-03", "(provisional)", `id="bill-forecast">$59.11<`,
				"<td>EC2</td><td class=\"num\">$0.75</td><td class=\"num\">$0.90</td><td class=\"num\">&#43;$0.15</td><td>BoxUsage:t3.micro</td>",
				"<td>Lightsail</td><td class=\"num\">$0.00</td><td class=\"num\">$0.28<br><span class=\"muted\">of which Lightsail data transfer overage $0.28</span>",
				"<td>Data transfer</td><td class=\"num\">$0.15</td>", "<td>Tax</td><td class=\"num\">$0.10</td>", "<td>Amazon Elastic Compute Cloud - Compute</td><td class=\"num\">-$0.20</td>",
				"<dt>Total billed (gross)</dt><dd>$1.43</dd>", "<dt>net</dt><dd>$1.23</dd>", "for those days</dt><dd>$0.75</dd>"}, nil},
		{"march zh", "/bills/2025-03", "zh", on,
			[]string{"AWS 的账单 2025-03-01 – 2025-03-03", "(暂定)", "<td>数据传输</td>", "<td>税费</td>", "已计费、costbot 未估算", "抵扣与退款"}, nil},
		{"february en", "/bills/2025-02", "en", on, []string{"What AWS billed 2025-02-01 <span", "(final)", "$7.10", "&#43;$0.11"}, []string{"bill-forecast"}},
		{"march off", "/bills/2025-03", "en", off, []string{`id="bill-forecast">$58.43<`}, []string{"What AWS billed", "$1.43"}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.d.expectPage(t, tc.lang, tc.path, tc.want, tc.not) })
	}
}

// The CSV carries the billed amount of each service beside its estimate, and the billed
// lines costbot does not estimate and the credits as rows of their own.
func TestBillsCSVCarriesTheBill(t *testing.T) {
	d := newDash(t, nil)
	d.seedMarch()
	d.seedBilled("")
	// The Amazon Q app was seen this month, without a price.
	if err := d.store.DB().Model(&models.ResourceRow{}).Where("resource_id = ?", "app-1").
		Updates(map[string]any{"first_seen": utc("2025-03-01 00:00"), "last_seen": utc("2025-03-10 12:00")}).Error; err != nil {
		t.Fatal(err)
	}
	status, body := d.get(d.loggedIn(1001, "en"), "/bills/2025-03.csv")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	got, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	span := []string{"2025-03-01", "2025-03-03", "provisional"}
	row := func(service, est, billed, billedEst, kind, unpriced string) []string {
		r := append([]string{"2025-03", service, est, "provisional", "229", "0", billed, billedEst}, span...)
		return append(r, kind, unpriced)
	}
	want := [][]string{
		{"month", "service", "estimated_usd", "status", "hours", "estimated_hours", "billed_usd", "billed_days_estimated_usd", "billed_from", "billed_through", "billed_status", "kind", "unpriced_resources"},
		row("ec2", "3.629600", "0.900000", "0.748800", "service", "0"),
		row("q", "unpriced", "", "", "service", "1"), // its only resource has no price: never $0
		row("lightsail", "", "0.280000", "0.000000", "service", "0"),
		row("Data transfer", "", "0.150000", "", "not_estimated", ""),
		row("Tax", "", "0.100000", "", "not_estimated", ""),
		row("Amazon Elastic Compute Cloud - Compute", "", "-0.200000", "", "credit", ""),
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if strings.Join(got[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("row %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}

// A billed line's name comes from Cost Explorer: it is escaped like any other text.
func TestBilledLineNamesAreEscaped(t *testing.T) {
	d := newDash(t, nil)
	d.seedMarch()
	d.seedBilled(`<script>alert(4)</script>`)
	_, body := d.get(d.loggedIn(1001, "en"), "/bills/2025-03")
	if strings.Contains(body, "<script>alert(4)") {
		t.Error("a billed line's name reached the page unescaped")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(4)&lt;/script&gt;") {
		t.Error("the billed line is not shown escaped")
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
