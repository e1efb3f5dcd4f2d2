package bot

import (
	"strings"
	"testing"
	"time"

	costmodels "costbot/models"
)

// sampleComparison is March 1–4: EC2 billed more than estimated, EBS and NAT from
// "EC2 - Other", Lightsail with overage, data transfer, Route 53, Tax and a credit.
func sampleComparison(final bool) costmodels.BillComparison {
	lines := []costmodels.BilledLineSum{
		{Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:t3.micro", Record: costmodels.RecordUsage, UnblendedUSD: 12, NetUSD: 12},
		{Service: "EC2 - Other", UsageType: "EBS:VolumeUsage.gp3", Record: costmodels.RecordUsage, UnblendedUSD: 1, NetUSD: 1},
		{Service: "EC2 - Other", UsageType: "NatGateway-Hours", Record: costmodels.RecordUsage, UnblendedUSD: 4.32, NetUSD: 4.32},
		{Service: "EC2 - Other", UsageType: "DataTransfer-Out-Bytes", Record: costmodels.RecordUsage, UnblendedUSD: 0.9, NetUSD: 0.9},
		{Service: "Amazon Lightsail", UsageType: "APN1-DataXfer-Out-Overage-Bytes", Record: costmodels.RecordUsage, UnblendedUSD: 1.4, NetUSD: 1.4, Quantity: 10, Unit: "GB"},
		{Service: "Amazon Route 53", UsageType: "HostedZone", Record: costmodels.RecordUsage, UnblendedUSD: 0.5, NetUSD: 0.5},
		{Service: "Tax", Record: costmodels.RecordUsage, UnblendedUSD: 2, NetUSD: 2},
		{Service: "Odd <New> Service", UsageType: "X", Record: costmodels.RecordUsage, UnblendedUSD: 0.25, NetUSD: 0.25},
		{Service: "Amazon Elastic Compute Cloud - Compute", Record: costmodels.RecordCredit, UnblendedUSD: -2, NetUSD: -2},
	}
	c := costmodels.CompareBill(lines, []costmodels.ServiceCost{{Service: "ec2", USD: 4.8}, {Service: "ebs", USD: 1}, {Service: "vpc", USD: 4.32}},
		[]string{"ec2", "ebs", "vpc", "lightsail"})
	c.Month, c.From, c.Through, c.Days, c.EstimatedDays, c.Final = "2026-03", utc("2026-03-01 00:00"), utc("2026-03-04 00:00"), 4, 4, final
	return c
}

// The comparison says, in both languages, per service estimated, billed and the
// difference with where it comes from, the lines costbot does not estimate under their
// names (an unknown one escaped), credits, gross and net totals, provisional or final.
func TestRenderComparison(t *testing.T) {
	cat := testCatalog(t)
	for _, lang := range languages {
		tr := cat.translator(lang)
		for _, final := range []bool{false, true} {
			got := renderComparison(tr, sampleComparison(final))
			state := stripTags(tr.T(msgID{"billed.provisional"}))
			if final {
				state = stripTags(tr.T(msgID{"billed.final"}))
			}
			mustContain(t, lang, got,
				tr.T(msgID{"billed.title"}, map[string]any{"Days": "2026-03-01 – 2026-03-04", "State": state}),
				tr.T(msgID{"billed.service"}, map[string]any{"Service": "EC2", "Estimated": "$4.80", "Billed": "$12.00", "Diff": "+$7.20"})+" "+
					tr.T(msgID{"billed.mostly"}, map[string]any{"Usage": "BoxUsage:t3.micro"}),
				tr.T(msgID{"billed.service"}, map[string]any{"Service": "VPC", "Estimated": "$4.32", "Billed": "$4.32", "Diff": "$0.00"}),
				tr.T(msgID{"billed.service"}, map[string]any{"Service": "Lightsail", "Estimated": "$0.00", "Billed": "$1.40", "Diff": "+$1.40"}),
				tr.T(msgID{"billed.overage_part"}, map[string]any{"Amount": "$1.40", "GB": "10.00 GB"}),
				tr.T(msgID{"billed.line"}, map[string]any{"Name": stripTags(tr.T(msgID{"billed.line.tax"})), "Amount": "$2.00"}),
				tr.T(msgID{"billed.line"}, map[string]any{"Name": stripTags(tr.T(msgID{"billed.line.data_transfer"})), "Amount": "$0.90"}),
				tr.T(msgID{"billed.line"}, map[string]any{"Name": "Amazon Route 53", "Amount": "$0.50"}),
				"Odd &lt;New&gt; Service",
				tr.T(msgID{"billed.credits"}),
				tr.T(msgID{"billed.line"}, map[string]any{"Name": "Amazon Elastic Compute Cloud - Compute", "Amount": "-$2.00"}),
				tr.T(msgID{"billed.totals"}, map[string]any{"Gross": "$22.37", "Net": "$20.37", "Estimated": "$10.12"}),
			)
			if strings.Contains(got, "Odd <New>") {
				t.Errorf("%s: an unknown service name is not escaped", lang)
			}
		}
	}
}

// The alerts read as the issue asks, in both languages.
func TestRenderBillingEvents(t *testing.T) {
	cat := testCatalog(t)
	c := sampleComparison(false)
	diff := costmodels.BillDifference{Month: "2026-03", Through: "2026-03-04", ServiceComparison: c.Services[0]}
	en := cat.translator("en")
	got, err := renderBillDifference(en, diff)
	if err != nil {
		t.Fatal(err)
	}
	if want := "🔍 <b>EC2 billed $12.00, estimated $4.80</b>: the difference (+$7.20, 2026-03 through 2026-03-04) is mostly BoxUsage:t3.micro"; got != want {
		t.Errorf("difference alert\n got %q\nwant %q", got, want)
	}
	zh, err := renderBillDifference(cat.translator("zh"), diff)
	if err != nil || !strings.Contains(zh, "BoxUsage:t3.micro") || !strings.Contains(zh, "实际计费 $12.00") {
		t.Errorf("zh difference alert %q %v", zh, err)
	}
	credit, err := renderBillCredit(en, costmodels.BillCredit{Month: "2026-03", Name: "AWS Lambda", USD: -3, TotalUSD: -5})
	if err != nil || !strings.Contains(credit, "AWS Lambda -$3.00") || !strings.Contains(credit, "-$5.00") {
		t.Errorf("credit alert %q %v", credit, err)
	}
	final, err := renderBillFinal(en, sampleComparison(true))
	if err != nil || !strings.Contains(final, "$20.37 net") || !strings.Contains(final, en.T(msgID{"billed.final"})) {
		t.Errorf("final bill %q %v", final, err)
	}
}

// /bill and /cost set AWS's bill beside the estimate, in the chat's language; the
// forecast counts the billed days in AWS's figures and says so; /status says what the
// requests cost and what is wrong, in one line.
func TestBillCostAndStatusShowWhatAWSBilled(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	// costbot's estimate: EC2 at $0.05 an hour since March 1st (the clock: 2025-03-10 12:00).
	mar1 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for hour := mar1; hour.Before(h.clock.Now()); hour = hour.Add(time.Hour) {
		w := costmodels.HourWrite{Hour: hour, CollectedAt: hour, Records: []costmodels.CostRecord{
			{Hour: hour, Service: "ec2", Region: "us-east-1", ResourceID: "i-web", CostUSD: 0.05, PriceSource: costmodels.SourceAPI}}}
		if _, err := h.store.WriteHour(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	var lines []costmodels.BilledCost
	for d := mar1; d.Before(mar1.AddDate(0, 0, 9)); d = d.AddDate(0, 0, 1) {
		lines = append(lines,
			costmodels.BilledCost{Day: d, Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:t3.micro", Record: costmodels.RecordUsage, UnblendedUSD: 1.5, NetUSD: 1.5, Estimated: true},
			costmodels.BilledCost{Day: d, Service: "Tax", Record: costmodels.RecordUsage, UnblendedUSD: 0.1, NetUSD: 0.1, Estimated: true})
	}
	if err := h.store.ReplaceBilled(ctx, "2025-03", mar1, mar1.AddDate(0, 0, 9), lines, false, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	at := h.clock.Now().Add(-time.Hour)
	for range 3 {
		if err := h.store.RecordCostExplorerRequest(ctx, costmodels.CostExplorerRequest{At: at, Month: "2025-03", Query: "usage"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.store.PutBillingStatus(ctx, costmodels.BillingAccessDenied, "AccessDeniedException: not authorized", at); err != nil {
		t.Fatal(err)
	}
	h.start()

	// Estimate through March 9th: 9 × 24 × 0.05 = 10.80; billed 9 × 1.60 = 14.40.
	// The forecast: 0.05/h for the month (37.20) - 10.80 + 14.40 = 40.80.
	for _, lang := range languages {
		h.say(ownerID, ownerID, "/lang "+lang)
		tr := h.tr(lang)
		cost := h.say(ownerID, ownerID, "/cost").Params["text"]
		mustContain(t, lang+" /cost", cost,
			tr.T(msgID{"billed.so_far"}, map[string]any{"Through": "2025-03-09", "Billed": "$14.40", "Estimated": "$10.80"}),
			tr.T(msgID{"billed.forecast"}, map[string]any{"Amount": "$40.80", "Through": "2025-03-09"}),
		)
		bill := h.say(ownerID, ownerID, "/bill").Params["text"]
		mustContain(t, lang+" /bill", bill,
			tr.T(msgID{"bill.so_far"}, map[string]any{"Amount": "$11.40", "Forecast": "$40.80"}),
			tr.T(msgID{"billed.service"}, map[string]any{"Service": "EC2", "Estimated": "$10.80", "Billed": "$13.50", "Diff": "+$2.70"}),
			tr.T(msgID{"billed.line"}, map[string]any{"Name": stripTags(tr.T(msgID{"billed.line.tax"})), "Amount": "$0.90"}),
			tr.T(msgID{"billed.totals"}, map[string]any{"Gross": "$14.40", "Net": "$14.40", "Estimated": "$10.80"}),
			tr.T(msgID{"billed.forecast_note"}, map[string]any{"Through": "2025-03-09"}),
		)
		status := h.say(ownerID, ownerID, "/status").Params["text"]
		mustContain(t, lang+" /status", status,
			tr.T(msgID{"billed.status_requests"}, map[string]any{"Count": 3, "Cost": "$0.03"}),
			tr.T(msgID{"billed.status_problem"}, map[string]any{"Time": formatTime(at, h.cfg.ReportTZ), "Problem": stripTags(tr.T(msgID{"billed.problem.access_denied"}))}),
		)
	}
}

// The daily report and the closed bill carry the comparison; the report says the Lightsail
// overage AWS billed and that its forecast counts the billed days.
func TestReportAndClosedBillShowWhatAWSBilled(t *testing.T) {
	cat := testCatalog(t)
	c := sampleComparison(false)
	for _, lang := range languages {
		tr := cat.translator(lang)
		report := renderDailyReport(tr, costmodels.DailyReport{Date: "2026-03-05", TZ: "UTC", Month: "2026-03", HasCost: true,
			TodayUSD: 1, MonthUSD: 10, ForecastUSD: 50, LatestHour: utc("2026-03-05 10:00"), Billed: &c})
		mustContain(t, lang+" report", report,
			tr.T(msgID{"billed.forecast"}, map[string]any{"Amount": "$50.00", "Through": "2026-03-04"}),
			renderComparison(tr, c),
			tr.T(msgID{"billed.overage"}, map[string]any{"Through": "2026-03-04", "Regions": "ap-northeast-1 10.00 GB ($1.40)"}),
		)
		closed, err := renderBillClosed(tr, costmodels.BillClosed{Month: "2026-03", TotalUSD: 10, Services: []costmodels.ServiceCost{{Service: "ec2", USD: 10}}, Billed: &c})
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, lang+" closed bill", closed, renderComparison(tr, c))
		noOverage := costmodels.BillComparison{Month: "2026-03", Days: 2, Through: utc("2026-03-02 00:00")}
		mustContain(t, lang+" no overage", overageLine(tr, noOverage), tr.T(msgID{"billed.overage_none"}, map[string]any{"Through": "2026-03-02"}))
	}
}
