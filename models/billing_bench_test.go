package models

import (
	"fmt"
	"testing"
	"time"
)

// seedBilledMonth fills a store with a month of costbot's estimate (every hour, twelve
// services in six regions: 51,840 cost_summary rows, and the month's running bill) and
// AWS's bill of its 30 days
// (200 service × usage type lines a day and a credit: 6,030 billed rows), the size of a
// busy account.
func seedBilledMonth(b *testing.B) (*Store, []BilledCost, time.Time) {
	b.Helper()
	s := openTestStore(b)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	services := []string{"ec2", "rds", "lambda", "s3", "ebs", "vpc", "fsx", "cloudwatch", "waf", "q", "cloudfront", "lightsail"}
	regions := []string{"us-east-1", "us-west-2", "ap-southeast-1", "ap-east-1", "eu-west-1", "ap-northeast-1"}
	var rows []CostSummary
	for h := start; h.Before(start.AddDate(0, 1, 0)); h = h.Add(time.Hour) {
		for _, sv := range services {
			for _, r := range regions {
				rows = append(rows, CostSummary{Hour: h, Service: sv, Region: r, CostUSD: 0.01})
			}
		}
	}
	if err := s.DB().CreateInBatches(rows, 1000).Error; err != nil {
		b.Fatal(err)
	}
	// The running bill the collect job keeps beside the hours.
	for _, sv := range services {
		if err := s.DB().Create(&MonthlySummary{Month: "2026-11", Service: sv, CostUSD: 720 * 6 * 0.01, Hours: 720}).Error; err != nil {
			b.Fatal(err)
		}
	}
	names := []string{"Amazon Elastic Compute Cloud - Compute", "EC2 - Other", "Amazon Relational Database Service", "AWS Lambda",
		"Amazon Simple Storage Service", "Amazon Lightsail", "Amazon Route 53", "AmazonCloudWatch"}
	var lines []BilledCost
	for d := start; d.Before(start.AddDate(0, 0, 30)); d = d.AddDate(0, 0, 1) {
		for i := range 200 {
			lines = append(lines, BilledCost{Day: d, Service: names[i%len(names)], UsageType: fmt.Sprintf("USE1-Usage%d", i),
				Record: RecordUsage, UnblendedUSD: 0.05, NetUSD: 0.05, Estimated: true})
		}
		lines = append(lines, BilledCost{Day: d, Service: names[0], Record: RecordCredit, UnblendedUSD: -1, NetUSD: -1, Estimated: true})
	}
	return s, lines, start
}

// BenchmarkBillComparison is the query behind /bill, /cost, /lightsail and the daily
// report: AWS's bill of the month's first 29 days beside the estimate of the same days
// (the estimate of the last day is subtracted from the running bill).
func BenchmarkBillComparison(b *testing.B) {
	s, lines, start := seedBilledMonth(b)
	if err := s.ReplaceBilled(b.Context(), "2026-11", start, start.AddDate(0, 1, 0), lines[:29*201], false, start); err != nil {
		b.Fatal(err)
	}
	estimated := []string{"ec2", "rds", "lambda", "s3", "ebs", "vpc", "lightsail", "cloudwatch"}
	b.ResetTimer()
	for b.Loop() {
		c, err := s.BillComparison(b.Context(), "2026-11", time.Time{}, estimated)
		if err != nil || c.Days != 29 {
			b.Fatalf("%+v %v", c.Days, err)
		}
	}
}

// BenchmarkReplaceBilledMonth is what one billing run writes for a month: every line of
// its 30 days replaced.
func BenchmarkReplaceBilledMonth(b *testing.B) {
	s, lines, start := seedBilledMonth(b)
	b.ResetTimer()
	for b.Loop() {
		if err := s.ReplaceBilled(b.Context(), "2026-11", start, start.AddDate(0, 1, 0), lines, false, start); err != nil {
			b.Fatal(err)
		}
	}
}
