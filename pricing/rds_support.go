package pricing

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"costbot/models"
)

// RDS Extended Support: a major engine version past its end of standard support is
// charged per vCPU-hour from the first of the month after that date, at the "Year 1,
// Year 2" rate for two years and at the "Year 3" rate after that, whether the instance
// runs or not. The price list names it usagetype <prefix>-ExtendedSupport:Yr1-Yr2:MySQL5.7
// (unit vCPU-hour) with extendedSupportPricingYear "Year 1, Year 2" or "Year 3".

// extendedSupport is when a major version starts paying each rate, and how the price
// list's usage type names it.
type extendedSupport struct {
	usageName string    // MySQL5.7, PostgreSQL12, AuroraMySQL2 ...
	year1     time.Time // first day charged at the Year 1-2 rate
	year3     time.Time // first day charged at the Year 3 rate; zero when none
}

func firstOf(year int, month time.Month) time.Time {
	return time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
}

// extendedSupportDates come from the RDS release calendars (MySQL, PostgreSQL) and the
// Aurora version policy: end of standard support, plus one month.
var extendedSupportDates = map[string]map[string]extendedSupport{
	"mysql": {
		"5.7": {"MySQL5.7", firstOf(2024, time.March), firstOf(2026, time.March)},
		"8.0": {"MySQL8.0", firstOf(2026, time.August), firstOf(2028, time.August)},
	},
	"postgres": {
		"11": {"PostgreSQL11", firstOf(2024, time.April), firstOf(2026, time.April)},
		"12": {"PostgreSQL12", firstOf(2025, time.March), firstOf(2027, time.March)},
		"13": {"PostgreSQL13", firstOf(2026, time.March), firstOf(2028, time.March)},
		"14": {"PostgreSQL14", firstOf(2027, time.March), firstOf(2029, time.March)},
		"15": {"PostgreSQL15", firstOf(2028, time.March), firstOf(2030, time.March)},
	},
	"aurora-mysql": {
		"5.7": {"AuroraMySQL2", firstOf(2024, time.December), time.Time{}},
		"8.0": {"AuroraMySQL3", firstOf(2027, time.May), time.Time{}},
	},
	"aurora-postgresql": {
		"11": {"AuroraPostgreSQL11", firstOf(2024, time.April), firstOf(2026, time.April)},
		"12": {"AuroraPostgreSQL12", firstOf(2025, time.March), firstOf(2027, time.March)},
		"13": {"AuroraPostgreSQL13", firstOf(2026, time.March), firstOf(2028, time.March)},
	},
}

// majorVersion is the major version an engine's extended support is tracked by: "5.7"
// and "8.0" for MySQL ("5.7.44" and "5.7.mysql_aurora.2.11.2" alike), "12" for
// PostgreSQL ("12.19").
func majorVersion(engine, version string) string {
	parts := strings.Split(version, ".")
	if strings.Contains(engine, "mysql") || engine == "aurora" {
		if len(parts) >= 2 {
			return parts[0] + "." + parts[1]
		}
		return version
	}
	return parts[0]
}

// extendedSupportYear says which Extended Support rate applies to engine version at t:
// "Year 1, Year 2", "Year 3", or "" when the version is in standard support (or unknown).
func extendedSupportYear(engine, version string, t time.Time) (extendedSupport, string) {
	if engine == "aurora" {
		engine = "aurora-mysql"
	}
	es, ok := extendedSupportDates[engine][majorVersion(engine, version)]
	switch {
	case !ok || t.Before(es.year1):
		return es, ""
	case !es.year3.IsZero() && !t.Before(es.year3):
		return es, "Year 3"
	}
	return es, "Year 1, Year 2"
}

// rdsVCPUs is the vCPU count of a DB instance class, by its size (db.t3.micro has 2, as
// every burstable class up to large; xlarge 4, each size above doubling).
func rdsVCPUs(class string) (float64, bool) {
	parts := strings.Split(class, ".")
	if len(parts) != 3 {
		return 0, false
	}
	size := parts[2]
	switch size {
	case "micro", "small", "medium", "large":
		return 2, true
	case "xlarge":
		return 4, true
	}
	if n, ok := strings.CutSuffix(size, "xlarge"); ok {
		if f, err := strconv.Atoi(n); err == nil && f > 0 {
			return float64(4 * f), true
		}
	}
	return 0, false
}

// extendedSupportCharge is the instance's Extended Support charge, or false when its
// version is in standard support. Multi-AZ pays for the standby's vCPUs too.
func extendedSupportCharge(r models.Resource, region, engine string, multiAZ bool, at time.Time) (charge, string, bool) {
	es, year := extendedSupportYear(engine, r.Attr("engine_version"), at)
	if year == "" {
		return charge{}, "", false
	}
	vcpus, ok := rdsVCPUs(r.Type)
	if !ok {
		return charge{}, fmt.Sprintf("Extended Support for %s is not priced: vCPUs of %s unknown", es.usageName, r.Type), false
	}
	if multiAZ {
		vcpus *= 2
	}
	tier := "Yr1-Yr2"
	if year == "Year 3" {
		tier = "Yr3"
	}
	eng := rdsEngines[engine][0]
	l := lookup("AmazonRDS", "regionCode", region, "databaseEngine", eng, "extendedSupportPricingYear", year)
	c := charge{name: "extended-support", kind: perHour, qty: vcpus,
		price: ref(l, pickFirst(usageEndsWith("ExtendedSupport:"+tier+":"+es.usageName)),
			func() (Rate, bool) { return fallbackExtendedSupport(region, year) })}
	return c, "", true
}

// extendedSupportList are the Extended Support rates per vCPU-hour of MySQL and
// PostgreSQL on RDS: Year 1-2, Year 3 (Year 3 is twice Year 1-2 everywhere).
var extendedSupportList = map[string]float64{
	"us-east-1": 0.100, "us-east-2": 0.100, "us-west-2": 0.100, "us-west-1": 0.112,
	"eu-west-1": 0.112, "eu-central-1": 0.122, "ap-northeast-2": 0.120,
}

func fallbackExtendedSupport(region, year string) (Rate, bool) {
	p, ok := extendedSupportList[region]
	if !ok {
		return Rate{}, false
	}
	if year == "Year 3" {
		p *= 2
	}
	return Flat("vCPU-hour", p), true
}

// rdsBilled says whether a DB instance in state is charged its instance hours. A
// stopped instance pays only storage; one being created, deleted or that failed pays
// nothing. Every other state (available, backing-up, modifying, storage-full,
// maintenance, upgrading, the incompatible-* states ...) keeps its instance charge.
func rdsBilled(state string) bool {
	switch strings.ToLower(state) {
	case "stopped", "creating", "deleting", "failed", "insufficient-capacity",
		"inaccessible-encryption-credentials", "inaccessible-encryption-credentials-recoverable":
		return false
	}
	return true
}

// planRDSBackup prices the backup storage AWS bills for a DB instance beyond the free
// allowance (as much as its provisioned storage in the region): CloudWatch's
// TotalBackupStorageBilled, automated and manual snapshots together.
func planRDSBackup(r models.Resource) plan {
	region := priceRegion(r)
	return plan{charges: []charge{{name: "backup-storage", kind: perMonth, qty: usage(r, "billed_bytes") / bytesPerGiB,
		price: ref(lookup("AmazonRDS", "regionCode", region, "productFamily", "Storage Snapshot"),
			pickFirst(usageEndsWith("RDS:ChargedBackupUsage")), func() (Rate, bool) { return fallbackSnapshot(region, "rds") })}}}
}

// rdsIOPSList is the RDS Provisioned IOPS price per IOPS-month, Single-AZ (io1 and io2
// alike at the first tier).
var rdsIOPSList = map[string]float64{"us-east-1": 0.10, "us-west-2": 0.10}

func fallbackRDSIOPS(region string, multiAZ bool) (Rate, bool) {
	p, ok := rdsIOPSList[region]
	if !ok {
		return Rate{}, false
	}
	if multiAZ {
		p *= 2
	}
	return Flat("IOPS-Mo", p), true
}
