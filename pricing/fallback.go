package pricing

import (
	"fmt"
	"math"
	"strings"
)

// Built-in public on-demand list prices (USD), used when the Pricing API fails or finds
// nothing. A figure from here is labelled fallback and never written to the cache.
//
// Sources, checked while writing this table:
//   - DESIGN.md's list prices (us-east-1): EC2 t3.micro 0.0104, t3.small 0.0208, m5.large
//     0.096, c5.xlarge 0.17; ap-northeast-1 t3.micro 0.0136, m5.large 0.124; EBS, NAT,
//     RDS MySQL db.t3.micro, S3, Lambda, CloudWatch, WAF, Amazon Q.
//   - EC2 .large prices per family, EBS GB-month, NAT hourly, public IPv4 and S3 class
//     prices per region: the AWS Price List bulk files as tabulated by clont-app/clont
//     (clont/finops/aws/prices.json, generated 2026-09). They agree with DESIGN.md
//     wherever both give a figure.
//   - gp3 IOPS/throughput in eu-west-1 (0.0055 / 0.044) and io2's IOPS tiers
//     (0.065 / 0.0455 / 0.03185 in us-east-1): recorded GetProducts answers in public test
//     fixtures. Lambda and CloudWatch alarm/logs prices in ap-southeast-1: a recorded
//     Price List API query (APS1-Lambda-GB-Second 0.0000166667, -ARM 0.0000133334,
//     CW:AlarmMonitorUsage 0.10, DataProcessing-Bytes 0.70, TimedStorage-ByteHrs 0.03).
//
// Figures marked "unverified" come from the AWS pricing pages as remembered, not from a
// document checked here; the Pricing API replaces them whenever it answers.

// sizeFactor is an instance size relative to .large. For the families in the table AWS
// prices each size at exactly twice the one below, rounded to 4 decimals (t3a.small in
// ap-northeast-1 is 0.0245, not 0.024475).
var sizeFactor = map[string]float64{
	"nano": 1.0 / 16, "micro": 1.0 / 8, "small": 1.0 / 4, "medium": 1.0 / 2,
	"large": 1, "xlarge": 2, "2xlarge": 4,
}

// fallbackFamilies are the EC2 families and sizes the table covers.
var fallbackFamilies = map[string][]string{
	"t2": {"nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"},
	"t3": {"nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"}, "t3a": {"nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"},
	"t4g": {"nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"},
	"m5":  {"large", "xlarge", "2xlarge"}, "m6i": {"large", "xlarge", "2xlarge"}, "m7i": {"large", "xlarge", "2xlarge"},
	"c5": {"large", "xlarge", "2xlarge"}, "c6i": {"large", "xlarge", "2xlarge"},
	"r5": {"large", "xlarge", "2xlarge"}, "r6i": {"large", "xlarge", "2xlarge"},
}

type regionList struct {
	ec2Large   map[string]float64 // Linux, shared tenancy, family -> .large per hour
	ec2Exact   map[string]float64 // sizes that break the doubling rule
	ebsGB      map[string]float64 // volume type -> GB-month
	gp3IOPS    float64            // per IOPS-month over 3000
	gp3MBps    float64            // per MB/s-month over 125
	piops      float64            // io1 (and io2's first tier) per IOPS-month
	nat        float64            // per hour, and per GB processed
	s3         map[string]float64 // base usage type -> GB-month (Standard's first tier)
	s3Standard []float64          // Standard: first 50 TB, next 450 TB, over 500 TB
	rds        map[string]float64 // "mysql db.t3.micro" -> Single-AZ per hour
	rdsGB      map[string]float64 // storage type -> GB-month, Single-AZ
	lambda     bool               // Lambda at the common prices below
	cw         *cloudWatchList
}

type cloudWatchList struct {
	metric               float64 // first 10,000 metrics, per metric-month
	alarm, highResAlarm  float64 // per alarm metric-month
	logsIngest, logsStor float64 // per GB ingested, per GB-month stored
}

var usCloudWatch = &cloudWatchList{metric: 0.30, alarm: 0.10, highResAlarm: 0.30, logsIngest: 0.50, logsStor: 0.03}

// rdsUS are RDS for MySQL / PostgreSQL Single-AZ on-demand prices in us-east-1 and
// us-west-2 (MySQL db.t3.micro 0.017 is DESIGN.md's figure; the others double per size).
var rdsUS = map[string]float64{
	"mysql db.t3.micro": 0.017, "mysql db.t3.small": 0.034, "mysql db.t3.medium": 0.068, "mysql db.t3.large": 0.136,
	"mysql db.t3.xlarge": 0.272, "mysql db.t3.2xlarge": 0.544,
	"mysql db.t4g.micro": 0.016, "mysql db.t4g.small": 0.032, "mysql db.t4g.medium": 0.065, "mysql db.t4g.large": 0.129,
	"mysql db.t4g.xlarge": 0.258, "mysql db.t4g.2xlarge": 0.516,
	"mysql db.m5.large": 0.171, "mysql db.m5.xlarge": 0.342, "mysql db.m5.2xlarge": 0.684,
	// PostgreSQL costs a little more than MySQL on t3 and m5 (unverified).
	"postgres db.t3.micro": 0.018, "postgres db.t3.small": 0.036, "postgres db.t3.medium": 0.072, "postgres db.t3.large": 0.145,
	"postgres db.t3.xlarge": 0.29, "postgres db.t3.2xlarge": 0.579,
	"postgres db.t4g.micro": 0.016, "postgres db.t4g.small": 0.032, "postgres db.t4g.medium": 0.065, "postgres db.t4g.large": 0.129,
	"postgres db.t4g.xlarge": 0.258, "postgres db.t4g.2xlarge": 0.516,
	"postgres db.m5.large": 0.178, "postgres db.m5.xlarge": 0.356, "postgres db.m5.2xlarge": 0.712,
}

// rdsDoubling builds MySQL and PostgreSQL t3 prices from db.t3.micro (unverified outside
// the US), plus db.m5.large.
func rdsDoubling(mysqlMicro, postgresMicro, mysqlM5, postgresM5 float64) map[string]float64 {
	out := map[string]float64{}
	for i, size := range []string{"micro", "small", "medium", "large", "xlarge", "2xlarge"} {
		f := math.Pow(2, float64(i))
		out["mysql db.t3."+size] = round4(mysqlMicro * f)
		out["postgres db.t3."+size] = round4(postgresMicro * f)
	}
	for i, size := range []string{"large", "xlarge", "2xlarge"} {
		f := math.Pow(2, float64(i))
		out["mysql db.m5."+size] = round4(mysqlM5 * f)
		out["postgres db.m5."+size] = round4(postgresM5 * f)
	}
	return out
}

var s3US = map[string]float64{
	"TimedStorage-SIA-ByteHrs": 0.0125, "TimedStorage-ZIA-ByteHrs": 0.01, "TimedStorage-RRS-ByteHrs": 0.024,
	"TimedStorage-GIR-ByteHrs": 0.004, "TimedStorage-GlacierByteHrs": 0.0036, "TimedStorage-GDA-ByteHrs": 0.00099,
	"TimedStorage-INT-FA-ByteHrs": 0.023, "TimedStorage-INT-IA-ByteHrs": 0.0125, "TimedStorage-INT-AIA-ByteHrs": 0.004,
	"TimedStorage-INT-AA-ByteHrs": 0.0036, "TimedStorage-INT-DAA-ByteHrs": 0.00099,
}

var s3Asia = map[string]float64{
	"TimedStorage-SIA-ByteHrs": 0.0138, "TimedStorage-ZIA-ByteHrs": 0.011, "TimedStorage-RRS-ByteHrs": 0.024,
	"TimedStorage-GIR-ByteHrs": 0.005, "TimedStorage-GlacierByteHrs": 0.0045, "TimedStorage-GDA-ByteHrs": 0.002,
	"TimedStorage-INT-FA-ByteHrs": 0.025, "TimedStorage-INT-IA-ByteHrs": 0.0138, "TimedStorage-INT-AIA-ByteHrs": 0.005,
	"TimedStorage-INT-AA-ByteHrs": 0.0045, "TimedStorage-INT-DAA-ByteHrs": 0.002,
}

var usEast = regionList{
	ec2Large: map[string]float64{"t2": 0.0928, "t3": 0.0832, "t3a": 0.0752, "t4g": 0.0672, "m5": 0.096, "m6i": 0.096, "m7i": 0.1008,
		"c5": 0.085, "c6i": 0.085, "r5": 0.126, "r6i": 0.126},
	ec2Exact:   map[string]float64{"t2.small": 0.023},
	ebsGB:      map[string]float64{"gp2": 0.10, "gp3": 0.08, "io1": 0.125, "io2": 0.125, "st1": 0.045, "sc1": 0.015, "standard": 0.05},
	gp3IOPS:    0.005,
	gp3MBps:    0.04,
	piops:      0.065,
	nat:        0.045,
	s3:         s3US,
	s3Standard: []float64{0.023, 0.022, 0.021},
	rds:        rdsUS,
	rdsGB:      map[string]float64{"gp2": 0.115, "gp3": 0.115, "io1": 0.125, "standard": 0.10},
	lambda:     true,
	cw:         usCloudWatch,
}

// fallbackPrices is the table for the six default regions.
var fallbackPrices = map[string]regionList{
	"us-east-1": usEast,
	"us-west-2": usEast, // Oregon's prices equal N. Virginia's for everything listed
	"eu-west-1": {
		ec2Large: map[string]float64{"t2": 0.1008, "t3": 0.0912, "t3a": 0.0816, "t4g": 0.0736, "m5": 0.107, "m6i": 0.107, "m7i": 0.11235,
			"c5": 0.096, "c6i": 0.0912, "r5": 0.141, "r6i": 0.141},
		ec2Exact:   map[string]float64{"t2.small": 0.025, "t2.medium": 0.05}, // unverified
		ebsGB:      map[string]float64{"gp2": 0.11, "gp3": 0.088, "io1": 0.138, "io2": 0.138, "st1": 0.05, "sc1": 0.0168, "standard": 0.055},
		gp3IOPS:    0.0055,
		gp3MBps:    0.044,
		piops:      0.072, // unverified
		nat:        0.048,
		s3:         s3US,
		s3Standard: []float64{0.023, 0.022, 0.021},
		rds:        rdsDoubling(0.018, 0.018, 0.19, 0.198),         // unverified
		rdsGB:      map[string]float64{"gp2": 0.127, "gp3": 0.127}, // unverified
		lambda:     true,
		cw:         &cloudWatchList{metric: 0.30, alarm: 0.10, highResAlarm: 0.30, logsIngest: 0.57, logsStor: 0.03}, // unverified
	},
	"ap-northeast-1": {
		ec2Large: map[string]float64{"t2": 0.1216, "t3": 0.1088, "t3a": 0.0979, "t4g": 0.0864, "m5": 0.124, "m6i": 0.124, "m7i": 0.1302,
			"c5": 0.107, "c6i": 0.107, "r5": 0.152, "r6i": 0.152},
		ebsGB:      map[string]float64{"gp2": 0.12, "gp3": 0.096, "io1": 0.142, "io2": 0.142, "st1": 0.054, "sc1": 0.018, "standard": 0.08},
		gp3IOPS:    0.006, // gp3 extras scale with gp3's GB price (x1.2), as in eu-west-1 (x1.1)
		gp3MBps:    0.048,
		piops:      0.074, // unverified
		nat:        0.062,
		s3:         s3Asia,
		s3Standard: []float64{0.025, 0.024, 0.023},
		rds:        rdsDoubling(0.026, 0.027, 0.235, 0.246),        // unverified
		rdsGB:      map[string]float64{"gp2": 0.138, "gp3": 0.138}, // unverified
		lambda:     true,
		cw:         &cloudWatchList{metric: 0.30, alarm: 0.10, highResAlarm: 0.30, logsIngest: 0.76, logsStor: 0.033}, // unverified
	},
	"ap-southeast-1": {
		ec2Large: map[string]float64{"t2": 0.1168, "t3": 0.1056, "t3a": 0.0944, "t4g": 0.0848, "m5": 0.12, "m6i": 0.12, "m7i": 0.126,
			"c5": 0.098, "c6i": 0.098, "r5": 0.152, "r6i": 0.152},
		ebsGB:      map[string]float64{"gp2": 0.12, "gp3": 0.096, "io1": 0.138, "io2": 0.138, "st1": 0.054, "sc1": 0.018, "standard": 0.08},
		gp3IOPS:    0.006,
		gp3MBps:    0.048,
		piops:      0.072, // unverified
		nat:        0.059,
		s3:         s3Asia,
		s3Standard: []float64{0.025, 0.024, 0.023},
		rds:        rdsDoubling(0.026, 0.028, 0.24, 0.25),          // unverified
		rdsGB:      map[string]float64{"gp2": 0.138, "gp3": 0.138}, // unverified
		lambda:     true,
		cw:         &cloudWatchList{metric: 0.30, alarm: 0.10, highResAlarm: 0.30, logsIngest: 0.70, logsStor: 0.03},
	},
	"ap-east-1": {
		ec2Large: map[string]float64{"t3": 0.1168, "t4g": 0.0928, "m5": 0.132, "m6i": 0.132, "m7i": 0.1386,
			"c5": 0.108, "c6i": 0.108, "r5": 0.167, "r6i": 0.167},
		ebsGB:      map[string]float64{"gp2": 0.132, "gp3": 0.1056, "io1": 0.1518, "io2": 0.1518, "st1": 0.0594, "sc1": 0.0198, "standard": 0.088},
		gp3IOPS:    0.0066,
		gp3MBps:    0.0528,
		nat:        0.065,
		s3:         s3Asia,
		s3Standard: []float64{0.025, 0.024, 0.023},
	},
}

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

func listFor(region string) (regionList, bool) {
	l, ok := fallbackPrices[region]
	return l, ok
}

// fallbackEC2 is the Linux, shared-tenancy list price of an instance type.
func fallbackEC2(region, instanceType string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok {
		return Rate{}, false
	}
	if p, ok := l.ec2Exact[instanceType]; ok {
		return Flat("Hrs", p), true
	}
	family, size, ok := strings.Cut(instanceType, ".")
	if !ok {
		return Rate{}, false
	}
	large, ok := l.ec2Large[family]
	if !ok {
		return Rate{}, false
	}
	f, ok := sizeFactor[size]
	if !ok || !containsString(fallbackFamilies[family], size) {
		return Rate{}, false
	}
	p := large * f
	if f < 1 {
		p = round4(p)
	}
	return Flat("Hrs", p), true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fallbackEBS(region, volumeType string) (Rate, bool) {
	l, ok := listFor(region)
	p, found := l.ebsGB[volumeType]
	if !ok || !found {
		return Rate{}, false
	}
	return Flat("GB-Mo", p), true
}

func fallbackGP3IOPS(region string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok || l.gp3IOPS == 0 {
		return Rate{}, false
	}
	return Flat("IOPS-Mo", l.gp3IOPS), true
}

func fallbackGP3Throughput(region string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok || l.gp3MBps == 0 {
		return Rate{}, false
	}
	return Flat("MiBps-Mo", l.gp3MBps), true
}

// fallbackPIOPS is io1's flat IOPS price, or io2's three tiers (up to 32,000 IOPS, to
// 64,000, beyond), each 70 % of the one before.
func fallbackPIOPS(region, volumeType string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok || l.piops == 0 {
		return Rate{}, false
	}
	if volumeType == "io2" {
		return Tiered("IOPS-Mo", []float64{32000, 64000}, l.piops, round5(l.piops*0.7), round5(l.piops*0.49)), true
	}
	return Flat("IOPS-Mo", l.piops), true
}

func round5(f float64) float64 { return math.Round(f*1e5) / 1e5 }

func fallbackNAT(region string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok || l.nat == 0 {
		return Rate{}, false
	}
	return Flat("Hrs", l.nat), true
}

// fallbackPublicIPv4 is $0.005 per address-hour, in use or idle, in every region.
func fallbackPublicIPv4() (Rate, bool) { return Flat("Hrs", 0.005), true }

// s3TierBounds are S3's tier boundaries in GB: first 50 TB, next 450 TB, over 500 TB.
var s3TierBounds = []float64{51200, 512000}

func fallbackS3(region, usageType string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok {
		return Rate{}, false
	}
	if usageType == "TimedStorage-ByteHrs" || usageType == "TimedStorage-INT-FA-ByteHrs" {
		if len(l.s3Standard) == 3 {
			return Tiered("GB-Mo", s3TierBounds, l.s3Standard...), true
		}
		return Rate{}, false
	}
	p, ok := l.s3[usageType]
	if !ok {
		return Rate{}, false
	}
	return Flat("GB-Mo", p), true
}

func fallbackRDS(region, engine, class string, multiAZ bool) (Rate, bool) {
	l, ok := listFor(region)
	p, found := l.rds[engine+" "+class]
	if !ok || !found {
		return Rate{}, false
	}
	if multiAZ {
		p *= 2
	}
	return Flat("Hrs", p), true
}

func fallbackRDSStorage(region, storageType string, multiAZ bool) (Rate, bool) {
	l, ok := listFor(region)
	p, found := l.rdsGB[storageType]
	if !ok || !found {
		return Rate{}, false
	}
	if multiAZ {
		p *= 2
	}
	return Flat("GB-Mo", p), true
}

// Lambda: 0.20 per million requests; duration tiers per region and architecture
// (x86: 6 billion GB-s at 0.0000166667, 9 billion at 0.000015, then 0.0000133334;
// arm64: 7.5 billion at 0.0000133334, 11.25 billion at 0.0000120001, then 0.0000106667).
func fallbackLambdaRequests(region string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok || !l.lambda {
		return Rate{}, false
	}
	return Flat("Requests", 0.0000002), true
}

func fallbackLambdaDuration(region, arch string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok || !l.lambda {
		return Rate{}, false
	}
	if arch == "arm64" {
		return Tiered("Lambda-GB-Second", []float64{7.5e9, 18.75e9}, 0.0000133334, 0.0000120001, 0.0000106667), true
	}
	return Tiered("Lambda-GB-Second", []float64{6e9, 15e9}, 0.0000166667, 0.000015, 0.0000133334), true
}

// CloudWatch custom metrics: first 10,000 at the listed price, next 240,000 at 0.10,
// next 750,000 at 0.05, over 1,000,000 at 0.02 (us-east-1 figures; other regions scale
// only the first tier in this table).
func fallbackCWMetrics(region string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok || l.cw == nil {
		return Rate{}, false
	}
	return Tiered("Metrics", []float64{10000, 250000, 1000000}, l.cw.metric, 0.10, 0.05, 0.02), true
}

func fallbackCWAlarm(region string, highRes bool) (Rate, bool) {
	l, ok := listFor(region)
	if !ok || l.cw == nil {
		return Rate{}, false
	}
	if highRes {
		return Flat("Alarms", l.cw.highResAlarm), true
	}
	return Flat("Alarms", l.cw.alarm), true
}

func fallbackCWLogsIngest(region string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok || l.cw == nil {
		return Rate{}, false
	}
	return Flat("GB", l.cw.logsIngest), true
}

func fallbackCWLogsStorage(region string) (Rate, bool) {
	l, ok := listFor(region)
	if !ok || l.cw == nil {
		return Rate{}, false
	}
	return Flat("GB-Mo", l.cw.logsStor), true
}

// WAF charges the same in every commercial region: 5.00 per web ACL-month, 1.00 per
// rule-month, 0.60 per million requests.
func fallbackWAF(part string) (Rate, bool) {
	switch part {
	case "acl":
		return Flat("WebACL-Mo", 5.00), true
	case "rule":
		return Flat("Rule-Mo", 1.00), true
	case "request":
		return Flat("Requests", 0.0000006), true
	}
	return Rate{}, false
}

// CloudFront from US/Canada/Europe edges: data out 0.085 for the first 10 TB, then
// 0.080 (40 TB), 0.060 (100 TB), 0.040 (350 TB), 0.030 (524 TB), 0.025 (4 PB), 0.020;
// HTTPS requests 0.0100 per 10,000.
func fallbackCloudFrontOut() (Rate, bool) {
	return Tiered("GB", []float64{10240, 51200, 153600, 512000, 1048576, 5242880}, 0.085, 0.080, 0.060, 0.040, 0.030, 0.025, 0.020), true
}

func fallbackCloudFrontRequests() (Rate, bool) { return Flat("Requests", 0.000001), true }

// Amazon Q Business: Lite 3.00 and Pro 20.00 per user-month, in every region. The Price
// List API is not consulted for it, so these figures are always labelled fallback.
const (
	qLiteUserMonth = 3.00
	qProUserMonth  = 20.00

	// Index capacity per unit-hour.
	qEnterpriseIndexUnitHour = 0.264
	qStarterIndexUnitHour    = 0.140
)

// Lightsail facts from DESIGN.md and the Lightsail FAQ: data out beyond the allowance,
// per GB (10^9 bytes).
var lightsailOverage = map[string]float64{
	"us-east-1": 0.09, "us-east-2": 0.09, "us-west-2": 0.09, "ca-central-1": 0.09,
	"eu-central-1": 0.09, "eu-west-1": 0.09, "eu-west-2": 0.09, "eu-west-3": 0.09, "eu-north-1": 0.09,
	"ap-southeast-1": 0.12, "ap-south-1": 0.13, "ap-northeast-2": 0.13, "ap-northeast-1": 0.14,
	"ap-southeast-2": 0.17,
}

// lightsailOverageRate is the overage rate of a region. A region without a published
// figure here (ap-southeast-3 and any newer one) gets the highest Lightsail rate, said in
// the note, so the estimate never falls short of the bill.
func lightsailOverageRate(region string) (float64, string) {
	if rate, ok := lightsailOverage[region]; ok {
		return rate, ""
	}
	highest := 0.0
	for _, r := range lightsailOverage {
		highest = max(highest, r)
	}
	return highest, fmt.Sprintf("no published overage rate for %s: the highest Lightsail rate, %.2f/GB", region, highest)
}

// Lightsail static IPs are free while attached and 0.005 per hour when not; block
// storage disks are 0.10 per GB-month.
const (
	lightsailIdleIPHourly = 0.005
	lightsailDiskGBMonth  = 0.10
)
