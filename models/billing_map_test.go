package models

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Every service name Cost Explorer documents goes to its costbot service or stays
// visible under its own line; "EC2 - Other" splits by usage type; Lightsail's overage is
// kept apart; unknown names come through as they are.
func TestClassifyBilled(t *testing.T) {
	tests := []struct {
		service, usage, record string
		want                   BilledKind
	}{
		{"Amazon Elastic Compute Cloud - Compute", "BoxUsage:t3.micro", RecordUsage, BilledKind{Service: "ec2"}},
		{"Amazon Elastic Compute Cloud - Compute", "APN1-BoxUsage:m5.large", RecordUsage, BilledKind{Service: "ec2"}},
		{"Amazon Elastic Compute Cloud - Compute", "USE1-DataTransfer-Out-Bytes", RecordUsage, BilledKind{Line: LineDataTransfer}},
		{"EC2 - Other", "EBS:VolumeUsage.gp3", RecordUsage, BilledKind{Service: "ebs"}},
		{"EC2 - Other", "USW2-EBS:VolumeP-IOPS.piops", RecordUsage, BilledKind{Service: "ebs"}},
		{"EC2 - Other", "EBS:SnapshotUsage", RecordUsage, BilledKind{Line: LineSnapshots}},
		{"EC2 - Other", "APN1-EBS:SnapshotArchiveStorage", RecordUsage, BilledKind{Line: LineSnapshots}},
		{"EC2 - Other", "NatGateway-Hours", RecordUsage, BilledKind{Service: "vpc"}},
		{"EC2 - Other", "EU-NatGateway-Bytes", RecordUsage, BilledKind{Service: "vpc"}},
		{"EC2 - Other", "PublicIPv4:InUseAddress", RecordUsage, BilledKind{Service: "vpc"}},
		{"EC2 - Other", "USE1-ElasticIP:IdleAddress", RecordUsage, BilledKind{Service: "vpc"}},
		{"EC2 - Other", "DataTransfer-Out-Bytes", RecordUsage, BilledKind{Line: LineDataTransfer}},
		{"EC2 - Other", "APS1-DataTransfer-Regional-Bytes", RecordUsage, BilledKind{Line: LineDataTransfer}},
		{"EC2 - Other", "USE1-APN1-AWS-Out-Bytes", RecordUsage, BilledKind{Line: LineDataTransfer}},
		{"EC2 - Other", "CW:Requests", RecordUsage, BilledKind{Line: LineEC2Other}},
		{"Amazon Relational Database Service", "InstanceUsage:db.t3.micro", RecordUsage, BilledKind{Service: "rds"}},
		{"AWS Lambda", "Lambda-GB-Second", RecordUsage, BilledKind{Service: "lambda"}},
		{"Amazon Simple Storage Service", "TimedStorage-ByteHrs", RecordUsage, BilledKind{Service: "s3"}},
		{"Amazon Simple Storage Service", "DataTransfer-Out-Bytes", RecordUsage, BilledKind{Line: LineDataTransfer}},
		{"Amazon Virtual Private Cloud", "PublicIPv4:InUseAddress", RecordUsage, BilledKind{Service: "vpc"}},
		{"Amazon FSx", "EU-Storage.LUSTRE", RecordUsage, BilledKind{Service: "fsx"}},
		{"AmazonCloudWatch", "CW:MetricMonitorUsage", RecordUsage, BilledKind{Service: "cloudwatch"}},
		{"AWS WAF", "WebACL", RecordUsage, BilledKind{Service: "waf"}},
		{"Amazon Q", "Q-Business-User-Pro", RecordUsage, BilledKind{Service: "q"}},
		{"Amazon CloudFront", "US-DataTransfer-Out-Bytes", RecordUsage, BilledKind{Service: "cloudfront"}},
		{"Amazon Lightsail", "USE1-BundleUsage:3.5USD", RecordUsage, BilledKind{Service: "lightsail"}},
		{"Amazon Lightsail", "APN1-DataXfer-Out-Overage-Bytes", RecordUsage, BilledKind{Service: "lightsail", Overage: true}},
		{"Elastic Load Balancing", "LoadBalancerUsage", RecordUsage, BilledKind{Service: "elb"}},
		{"Tax", "", RecordUsage, BilledKind{Line: LineTax}},
		{"AWS Support (Developer)", "Dollar", RecordUsage, BilledKind{Line: LineSupport}},
		{"AWS Support (Business)", "Dollar", RecordUsage, BilledKind{Line: LineSupport}},
		{"Amazon Route 53", "HostedZone", RecordUsage, BilledKind{Line: "Amazon Route 53"}},
		{"AWS Key Management Service", "KMS-Keys", RecordUsage, BilledKind{Line: "AWS Key Management Service"}},
		{"AWS Secrets Manager", "AWSSecretsManager-Secrets", RecordUsage, BilledKind{Line: "AWS Secrets Manager"}},
		{"Some Service AWS Adds Tomorrow", "X", RecordUsage, BilledKind{Line: "Some Service AWS Adds Tomorrow"}},
		{"", "", RecordUsage, BilledKind{Line: "(no service)"}},
		{"Amazon Elastic Compute Cloud - Compute", "", RecordCredit, BilledKind{Line: LineCredits}},
		{"AWS Lambda", "", RecordRefund, BilledKind{Line: LineRefunds}},
	}
	for _, tt := range tests {
		if got := ClassifyBilled(tt.service, tt.usage, tt.record); got != tt.want {
			t.Errorf("ClassifyBilled(%q, %q, %q) = %+v, want %+v", tt.service, tt.usage, tt.record, got, tt.want)
		}
	}
}

func TestUsageRegion(t *testing.T) {
	for usage, want := range map[string]string{
		"DataXfer-Out-Overage-Bytes": "us-east-1", "USE1-DataXfer-Out-Overage-Bytes": "us-east-1",
		"APN1-DataXfer-Out-Overage-Bytes": "ap-northeast-1", "EU-DataXfer-Out-Overage-Bytes": "eu-west-1",
		"APS3-DataXfer-Out-Overage-Bytes": "ap-south-1", "ZZZ9-Thing": "ZZZ9",
	} {
		if got := UsageRegion(usage); got != want {
			t.Errorf("UsageRegion(%q) = %q, want %q", usage, got, want)
		}
	}
}

// The comparison puts each billed line with its service, keeps what costbot does not
// estimate under its own name (a service left out of COST_SERVICES included), sums
// credits apart, and totals gross and net.
func TestCompareBill(t *testing.T) {
	lines := []BilledLineSum{
		{Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:t3.micro", Record: RecordUsage, UnblendedUSD: 20, NetUSD: 20},
		{Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:m5.large", Record: RecordUsage, UnblendedUSD: 5, NetUSD: 5},
		{Service: "EC2 - Other", UsageType: "EBS:VolumeUsage.gp3", Record: RecordUsage, UnblendedUSD: 3, NetUSD: 3},
		{Service: "EC2 - Other", UsageType: "NatGateway-Hours", Record: RecordUsage, UnblendedUSD: 4, NetUSD: 4},
		{Service: "EC2 - Other", UsageType: "DataTransfer-Out-Bytes", Record: RecordUsage, UnblendedUSD: 1.5, NetUSD: 1.5},
		{Service: "Amazon Lightsail", UsageType: "USE1-BundleUsage:5USD", Record: RecordUsage, UnblendedUSD: 5, NetUSD: 5},
		{Service: "Amazon Lightsail", UsageType: "APN1-DataXfer-Out-Overage-Bytes", Record: RecordUsage, UnblendedUSD: 1.4, NetUSD: 1.4, Quantity: 10, Unit: "GB"},
		{Service: "Amazon Route 53", UsageType: "HostedZone", Record: RecordUsage, UnblendedUSD: 0.5, NetUSD: 0.5},
		{Service: "Amazon Relational Database Service", UsageType: "InstanceUsage:db.t3.micro", Record: RecordUsage, UnblendedUSD: 12, NetUSD: 12},
		{Service: "Tax", Record: RecordUsage, UnblendedUSD: 2, NetUSD: 2},
		{Service: "Amazon Elastic Compute Cloud - Compute", Record: RecordCredit, UnblendedUSD: -10, NetUSD: -10},
	}
	estimates := []ServiceCost{{Service: "ec2", USD: 22}, {Service: "ebs", USD: 3}, {Service: "vpc", USD: 4}, {Service: "lightsail", USD: 6}, {Service: "rds", USD: 11}}
	c := CompareBill(lines, estimates, []string{"ec2", "ebs", "vpc", "lightsail"}) // rds not estimated
	got := map[string]ServiceComparison{}
	for _, s := range c.Services {
		got[s.Service] = s
	}
	if s := got["ec2"]; !near(s.BilledUSD, 25) || !near(s.EstimatedUSD, 22) || s.TopUsageType != "BoxUsage:t3.micro" {
		t.Errorf("ec2 %+v", s)
	}
	if s := got["lightsail"]; !near(s.BilledUSD, 6.4) || !near(s.OverageUSD, 1.4) {
		t.Errorf("lightsail %+v", s)
	}
	if _, ok := got["rds"]; ok {
		t.Error("rds is not in COST_SERVICES: it must not be compared")
	}
	wantOther := []BilledLine{{"Amazon Relational Database Service", 12}, {LineTax, 2}, {LineDataTransfer, 1.5}, {"Amazon Route 53", 0.5}}
	if !slices.Equal(c.Other, wantOther) {
		t.Errorf("other lines %v, want %v", c.Other, wantOther)
	}
	if !slices.Equal(c.Credits, []BilledLine{{"Amazon Elastic Compute Cloud - Compute", -10}}) {
		t.Errorf("credits %v", c.Credits)
	}
	if !near(c.GrossUSD, 54.4) || !near(c.NetUSD, 44.4) || !near(c.CreditsUSD, -10) || !near(c.EstimatedUSD, 46) {
		t.Errorf("totals gross %v net %v credits %v estimated %v", c.GrossUSD, c.NetUSD, c.CreditsUSD, c.EstimatedUSD)
	}
	if len(c.Overage) != 1 || c.Overage[0].Region != "ap-northeast-1" || !near(c.OverageGB(), 10) {
		t.Errorf("overage %+v", c.Overage)
	}
}

func TestOverEstimate(t *testing.T) {
	for _, tt := range []struct {
		est, billed float64
		want        bool
	}{
		{0, 0.99, false}, {0, 1.01, true}, {5, 5.9, false}, {5, 6.01, true},
		{100, 109, false}, {100, 110.5, true}, {100, 50, false},
	} {
		s := ServiceComparison{EstimatedUSD: tt.est, BilledUSD: tt.billed}
		if got := s.OverEstimate(); got != tt.want {
			t.Errorf("estimated %v billed %v: %v, want %v", tt.est, tt.billed, got, tt.want)
		}
	}
}

// Storing a span again replaces its lines (a revised figure is revised, nothing is
// doubled, days outside the span stay); the comparison reads the estimate of the same
// days; a final month says so.
func TestReplaceBilledAndCompare(t *testing.T) {
	s := openTestStore(t)
	ctx := t.Context()
	at := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	d := func(n int) time.Time { return time.Date(2026, 2, n, 0, 0, 0, 0, time.UTC) }
	ec2 := func(n int, usd float64, est bool) BilledCost {
		return BilledCost{Day: d(n), Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:t3.micro", Record: RecordUsage, UnblendedUSD: usd, NetUSD: usd, Estimated: est}
	}
	if err := s.ReplaceBilled(ctx, "2026-02", d(1), d(3), []BilledCost{ec2(1, 1, true), ec2(2, 1, true)}, false, at); err != nil {
		t.Fatal(err)
	}
	// The estimate: 0.05/h for the first two days, then more.
	for h := d(1); h.Before(d(4)); h = h.Add(time.Hour) {
		w := HourWrite{Hour: h, CollectedAt: at, Records: []CostRecord{{Hour: h, Service: "ec2", Region: "us-east-1", ResourceID: "i-1", CostUSD: 0.05, PriceSource: SourceAPI}}}
		if _, err := s.WriteHour(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ReplaceBilled(ctx, "2026-02", d(2), d(3), []BilledCost{ec2(2, 1.5, false)}, false, at); err != nil {
		t.Fatal(err)
	}
	c, err := s.BillComparison(ctx, "2026-02", time.Time{}, []string{"ec2"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Covered() || c.EstimatedDays != 2 {
		t.Errorf("estimated days %d of %d: costbot collected every hour of both", c.EstimatedDays, c.Days)
	}
	if c.Days != 2 || !c.Through.Equal(d(2)) || len(c.Services) != 1 || !near(c.Services[0].BilledUSD, 2.5) || !near(c.Services[0].EstimatedUSD, 2.4) || c.Final {
		t.Fatalf("comparison %+v", c)
	}
	if err := s.ReplaceBilled(ctx, "2026-02", d(1), d(3), []BilledCost{ec2(1, 1, false), ec2(2, 1.5, false)}, true, at); err != nil {
		t.Fatal(err)
	}
	m, ok, err := s.BilledMonthOf(ctx, "2026-02")
	if err != nil || !ok || !m.Final || m.Days != 2 {
		t.Fatalf("month %+v %v %v", m, ok, err)
	}
	if c, _ := s.BillComparison(ctx, "2026-02", time.Time{}, []string{"ec2"}); !c.Final {
		t.Error("a final month's comparison must say final")
	}
	if c, _ := s.BillComparison(ctx, "2026-02", d(2), []string{"ec2"}); c.Final || c.Days != 1 {
		t.Errorf("days before the 2nd: %+v", c)
	}
}

// Every month's comparison read at once is each month's BillComparison.
func TestBillComparisonsAreBillComparison(t *testing.T) {
	s := openTestStore(t)
	ctx := t.Context()
	at := time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC)
	for _, m := range []struct {
		month string
		days  int
		final bool
	}{{"2026-01", 31, true}, {"2026-02", 28, true}, {"2026-03", 3, false}} {
		start, _ := MonthStart(m.month)
		var lines []BilledCost
		for d := range m.days {
			day := start.AddDate(0, 0, d)
			lines = append(lines,
				BilledCost{Day: day, Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:t3.micro", Record: RecordUsage, UnblendedUSD: 1, NetUSD: 1},
				BilledCost{Day: day, Service: "Tax", Record: "Tax", UnblendedUSD: 0.1, NetUSD: 0.1})
		}
		lines = append(lines, BilledCost{Day: start, Service: "AWS Lambda", Record: RecordCredit, UnblendedUSD: -2, NetUSD: -2})
		if err := s.ReplaceBilled(ctx, m.month, start, start.AddDate(0, 0, m.days), lines, m.final, at); err != nil {
			t.Fatal(err)
		}
		for h := start; h.Before(start.AddDate(0, 0, 2)); h = h.Add(time.Hour) {
			w := HourWrite{Hour: h, CollectedAt: at, Records: []CostRecord{{Hour: h, Service: "ec2", Region: "us-east-1", ResourceID: "i-1", CostUSD: 0.04, PriceSource: SourceAPI}}}
			if _, err := s.WriteHour(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
	}
	months := []string{"2025-12", "2026-01", "2026-02", "2026-03"}
	all, err := s.BillComparisons(ctx, months, []string{"ec2", "lambda"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range months {
		one, err := s.BillComparison(ctx, m, time.Time{}, []string{"ec2", "lambda"})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", one) != fmt.Sprintf("%+v", all[m]) {
			t.Errorf("%s:\n one by one %+v\n all at once %+v", m, one, all[m])
		}
	}
	if !all["2026-01"].Final || all["2026-03"].Final || !all["2025-12"].Empty() || all["2026-02"].Days != 28 || !near(all["2026-02"].GrossUSD, 30.8) {
		t.Errorf("comparisons: %+v", all)
	}
}
