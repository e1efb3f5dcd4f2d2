package aws

import (
	"strconv"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"

	"costbot/models"
)

// FuzzBilledLines: whatever Cost Explorer answers, reading it and setting it beside an
// estimate never panics; an amount that is not a number is an error, never a figure.
func FuzzBilledLines(f *testing.F) {
	f.Add("2026-03-01", "EC2 - Other", "APN1-EBS:SnapshotUsage", "1.25", "1.2", "3", true)
	f.Add("2026-03-31", "Amazon Lightsail", "USE1-DataXfer-Out-Overage-Bytes", "0.9", "", "10", false)
	f.Add("bad-day", "", "", "NaN", "x", "-", true)
	f.Fuzz(func(t *testing.T, day, service, usage, unblended, net, quantity string, estimated bool) {
		g := cetypes.Group{Keys: []string{service, usage}, Metrics: map[string]cetypes.MetricValue{
			"UnblendedCost": {Amount: awssdk.String(unblended)}, "UsageQuantity": {Amount: awssdk.String(quantity), Unit: awssdk.String("GB")},
		}}
		if net != "" {
			g.Metrics["NetUnblendedCost"] = cetypes.MetricValue{Amount: awssdk.String(net)}
		}
		out := &costexplorer.GetCostAndUsageOutput{ResultsByTime: []cetypes.ResultByTime{
			{TimePeriod: &cetypes.DateInterval{Start: awssdk.String(day)}, Estimated: estimated, Groups: []cetypes.Group{g}},
		}}
		for _, q := range []string{QueryUsage, QueryCredits} {
			lines, _, err := billedLines(out, q)
			if err != nil {
				continue
			}
			if _, perr := strconv.ParseFloat(unblended, 64); perr != nil {
				t.Fatalf("amount %q read without an error", unblended)
			}
			sums := make([]models.BilledLineSum, 0, len(lines))
			for _, l := range lines {
				sums = append(sums, models.BilledLineSum{Service: l.Service, UsageType: l.UsageType, Record: l.Record,
					UnblendedUSD: l.UnblendedUSD, NetUSD: l.NetUSD, Quantity: l.Quantity, Unit: l.Unit})
			}
			c := models.CompareBill(sums, []models.ServiceCost{{Service: "ec2", USD: 1}}, []string{"ec2", "ebs", "lightsail"})
			_ = models.ServiceComparison{BilledUSD: c.GrossUSD}.OverEstimate()
		}
	})
}
