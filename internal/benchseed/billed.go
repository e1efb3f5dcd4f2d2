package benchseed

import (
	"context"
	"fmt"
	"time"

	"costbot/models"
)

// billedNames are Cost Explorer's names of services costbot estimates, and lines it
// does not: the day's billed lines of BilledYear.
var billedNames = []struct{ service, usage string }{
	{"Amazon Elastic Compute Cloud - Compute", "BoxUsage:t3.micro"}, {"Amazon Elastic Block Store", "EBS:VolumeUsage.gp3"},
	{"Amazon Relational Database Service", "InstanceUsage:db.t3.micro"}, {"AWS Lambda", "Lambda-GB-Second"},
	{"Amazon Simple Storage Service", "TimedStorage-ByteHrs"}, {"Amazon Virtual Private Cloud", "NatGateway-Hours"},
	{"Amazon FSx", "LUSTRE-Storage"}, {"AmazonCloudWatch", "CW:MetricMonitorUsage"}, {"AWS WAF", "WebACL"},
	{"Amazon Q Business", "QBusiness-User"}, {"Amazon CloudFront", "Requests-Tier1"}, {"Amazon Lightsail", "BundleUsage:1GB"},
	{"Elastic Load Balancing", "LoadBalancerUsage"}, {"Amazon Elastic Compute Cloud - Compute", "DataTransfer-Out-Bytes"},
	{"Amazon Route 53", "HostedZone"}, {"Tax", ""},
}

// BilledYear stores what Cost Explorer would have billed for every day of the year
// before end (16 lines a day, a credit a month; every month before end's final), as the
// billing job writes it.
func BilledYear(store *models.Store, end time.Time) error {
	ctx := context.Background()
	last := end.UTC().Truncate(24 * time.Hour)
	for month := last.AddDate(0, 0, -365); month.Before(last); {
		start := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
		next := start.AddDate(0, 1, 0)
		from, to := laterOf(start, last.AddDate(0, 0, -365)), earlierOf(next, last)
		var lines []models.BilledCost
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			for i, n := range billedNames {
				usd := 0.25 + 0.01*float64(i)
				lines = append(lines, models.BilledCost{Day: d, Service: n.service, UsageType: n.usage, Record: models.RecordUsage, UnblendedUSD: usd, NetUSD: usd})
			}
		}
		lines = append(lines, models.BilledCost{Day: from, Service: "Amazon Elastic Compute Cloud - Compute", Record: models.RecordCredit, UnblendedUSD: -1, NetUSD: -1})
		if err := store.ReplaceBilled(ctx, models.MonthOf(start), from, to, lines, !next.After(last), end); err != nil {
			return fmt.Errorf("benchseed: billed %s: %w", models.MonthOf(start), err)
		}
		month = next
	}
	return nil
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlierOf(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
