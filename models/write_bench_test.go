package models

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkWriteHour is what the collect job writes each hour for 1,000 resources (12
// services × 6 regions): their cost records, the summaries, the resources' state (moved
// on, unchanged) and the month's running bill, one new hour per op. With
// COSTBOT_TEST_STORE=postgres it measures PostgreSQL.
func BenchmarkWriteHour(b *testing.B) {
	s := openTestStore(b)
	services := []string{"ec2", "rds", "lambda", "s3", "ebs", "vpc", "fsx", "cloudwatch", "waf", "q", "cloudfront", "lightsail"}
	regions := []string{"us-east-1", "us-west-2", "ap-southeast-1", "ap-east-1", "eu-west-1", "ap-northeast-1"}
	var records []CostRecord
	var resources []ResourceRow
	var listed []TaskScope
	for i := range 1000 {
		sv, rg := services[i%len(services)], regions[(i/len(services))%len(regions)]
		id := fmt.Sprintf("r-%04d", i)
		records = append(records, CostRecord{Service: sv, Region: rg, ResourceID: id, AccountID: "111122223333",
			Name: id + "-name", Type: "m5.large", CostUSD: 0.096, PriceSource: SourceAPI})
		resources = append(resources, ResourceRow{Key: sv + "/" + rg + "/" + id, AccountID: "111122223333", Service: sv,
			Region: rg, ResourceID: id, Name: id + "-name", Type: "m5.large", State: "running", HourlyUSD: 0.096,
			MonthlyUSD: 70.08, PriceSource: SourceAPI, Priced: true})
	}
	for _, sv := range services {
		for _, rg := range regions {
			listed = append(listed, TaskScope{Service: sv, Region: rg})
		}
	}
	hour := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		w := HourWrite{Hour: hour, CollectedAt: hour.Add(5 * time.Minute), Records: records, Resources: resources, Listed: listed}
		if _, err := s.WriteHour(b.Context(), w); err != nil {
			b.Fatal(err)
		}
		hour = hour.Add(time.Hour)
	}
}
