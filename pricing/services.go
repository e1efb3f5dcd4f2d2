package pricing

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"costbot/models"
)

// Unit conversions. Data-transfer and storage dimensions (NAT processing, CloudFront out,
// CloudWatch Logs, S3 storage) are billed per GB of 2^30 bytes, the unit AWS meters
// them in. Lightsail transfer uses 10^9 bytes, the conservative reading DESIGN.md picks.
const (
	bytesPerGiB      = 1 << 30
	bytesPerDecimalG = 1e9
)

// plan is what a resource needs priced, or why it cannot be.
type plan struct {
	charges  []charge
	notes    []string
	warnings []string // what the owner should read the figure by or act on
	noPrice  string   // the resource's kind is not priced at all
}

// priceRegion is the region a resource's prices are looked up in: global resources
// (CloudFront, CLOUDFRONT-scope web ACLs) are priced as us-east-1.
func priceRegion(r models.Resource) string {
	if r.Region == "" || r.Region == models.GlobalRegion {
		return "us-east-1"
	}
	return r.Region
}

// planResource turns a resource's facts into charges for the hour at. It is pure but
// for mtd, which only Lightsail's per-instance transfer allowance reads.
func planResource(r models.Resource, mtd *MonthToDate, at time.Time) plan {
	switch r.Service + "/" + r.Kind {
	case "ec2/" + models.KindInstance:
		return planEC2(r)
	case "ebs/" + models.KindVolume:
		return planEBS(r)
	case "vpc/" + models.KindNATGateway:
		return planNAT(r)
	case "vpc/" + models.KindElasticIP, "vpc/" + models.KindPublicIP:
		return planPublicIP(r)
	case "rds/" + models.KindDBInstance:
		return planRDS(r, at)
	case "rds/" + models.KindSnapshot:
		return planRDSSnapshot(r)
	case "rds/" + models.KindBackupStorage:
		return planRDSBackup(r)
	case "ebs/" + models.KindSnapshot:
		return planEBSSnapshot(r)
	case "lightsail/" + models.KindSnapshot:
		return planLightsailSnapshot(r)
	case "lambda/" + models.KindFunction:
		return planLambda(r)
	case "s3/" + models.KindBucket:
		return planS3(r)
	case "fsx/" + models.KindFileSystem:
		return planFSx(r)
	case "cloudwatch/" + models.KindMetricNamespace, "cloudwatch/" + models.KindAlarm, "cloudwatch/" + models.KindLogGroup:
		return planCloudWatch(r)
	case "waf/" + models.KindWebACL:
		return planWAF(r)
	case "q/" + models.KindApplication:
		return planQ(r)
	case "q/" + models.KindIndex:
		return planQIndex(r)
	case "cloudfront/" + models.KindDistribution:
		return planCloudFront(r)
	case "lightsail/" + models.KindInstance, "lightsail/" + models.KindStaticIP, "lightsail/" + models.KindDisk:
		return planLightsail(r, mtd)
	case "elb/" + models.KindLoadBalancer:
		return planELB(r)
	}
	return plan{noPrice: fmt.Sprintf("no price model for %s %s", r.Service, r.Kind)}
}

// ---------------------------------------------------------------------------------
// Product selection

// candidates are the products that match, not priced for Outposts, Local or Wavelength
// Zones (which can share a regionCode), and with a parsable on-demand price, ordered by SKU so the choice
// is the same on every run.
func candidates(ps []Product, match func(Product) bool) []Product {
	var out []Product
	for _, p := range ps {
		if lt := p.Attributes["locationType"]; strings.Contains(lt, "Outposts") || strings.Contains(lt, "Local Zone") || strings.Contains(lt, "Wavelength") {
			continue
		}
		if mo := p.Attributes["marketoption"]; mo != "" && mo != "OnDemand" {
			continue
		}
		if _, err := p.Rate(); err != nil {
			continue
		}
		if match == nil || match(p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Product) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

// pickFirst picks the first matching product's rate.
func pickFirst(match func(Product) bool) func([]Product) (Rate, bool) {
	return func(ps []Product) (Rate, bool) {
		c := candidates(ps, match)
		if len(c) == 0 {
			return Rate{}, false
		}
		r, _ := c[0].Rate()
		return r, true
	}
}

// pickPreferred tries each match in turn.
func pickPreferred(matches ...func(Product) bool) func([]Product) (Rate, bool) {
	return func(ps []Product) (Rate, bool) {
		for _, m := range matches {
			if r, ok := pickFirst(m)(ps); ok {
				return r, true
			}
		}
		return Rate{}, false
	}
}

// usageIs matches the usage type without its region prefix ("APN1-NatGateway-Hours" is
// "NatGateway-Hours").
func usageIs(base string) func(Product) bool {
	return func(p Product) bool { return baseUsageType(p.Attributes["usagetype"]) == base }
}

func attrIs(name, value string) func(Product) bool {
	return func(p Product) bool { return p.Attributes[name] == value }
}

func all(ms ...func(Product) bool) func(Product) bool {
	return func(p Product) bool {
		for _, m := range ms {
			if !m(p) {
				return false
			}
		}
		return true
	}
}

func ref(l Lookup, pick func([]Product) (Rate, bool), fallback func() (Rate, bool)) priceRef {
	return priceRef{lookup: &l, pick: pick, fallback: fallback}
}

func usage(r models.Resource, key string) float64 { return r.Usage[key] }

// running says whether an instance or database is billed for compute this hour.
func running(state string) bool {
	switch strings.ToLower(state) {
	case "", "running", "pending", "available", "backing-up", "modifying", "storage-optimization", "rebooting":
		return true
	}
	return false
}
