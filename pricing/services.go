package pricing

import (
	"fmt"
	"math"
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

// perMiBps converts a throughput rate quoted per GiBps-month (how EBS lists gp3
// throughput: 40.96 per GiBps-mo) to per MiB/s-month.
func perMiBps(pick func([]Product) (Rate, bool)) func([]Product) (Rate, bool) {
	return func(ps []Product) (Rate, bool) {
		r, ok := pick(ps)
		if ok && strings.Contains(strings.ToLower(r.Unit), "gibps") {
			r = r.Scaled(1.0 / 1024)
			r.Unit = "MiBps-Mo"
		}
		return r, ok
	}
}

func ref(l Lookup, pick func([]Product) (Rate, bool), fallback func() (Rate, bool)) priceRef {
	return priceRef{lookup: &l, pick: pick, fallback: fallback}
}

func usage(r models.Resource, key string) float64 { return r.Usage[key] }

// ---------------------------------------------------------------------------------
// EC2

// ec2Platform is how an instance's platform details map onto price list attributes.
type ec2Platform struct {
	os, preInstalledSw, licenseModel string
}

// ec2PlatformFor maps EC2's PlatformDetails ("Linux/UNIX", "Windows", "Red Hat
// Enterprise Linux", "SUSE Linux", "Windows with SQL Server Standard", ...) to the
// operatingSystem / preInstalledSw / licenseModel of the price list. licenseModel is
// empty where it is chosen after the query (Windows: the license-included SKU).
func ec2PlatformFor(platform string) (ec2Platform, bool) {
	p := strings.ToLower(strings.TrimSpace(platform))
	sw := "NA"
	for suffix, code := range map[string]string{
		"sql server standard": "SQL Std", "sql server web": "SQL Web", "sql server enterprise": "SQL Ent",
	} {
		if strings.HasSuffix(p, " with "+suffix) {
			sw = code
			p = strings.TrimSuffix(p, " with "+suffix)
		}
	}
	switch p {
	case "", "linux/unix", "linux", "red hat byol linux":
		return ec2Platform{"Linux", sw, "No License required"}, true
	case "windows":
		return ec2Platform{"Windows", sw, ""}, true
	case "windows byol":
		return ec2Platform{"Windows", sw, "Bring your own license"}, true
	case "red hat enterprise linux":
		return ec2Platform{"RHEL", sw, "No License required"}, true
	case "red hat enterprise linux with ha":
		return ec2Platform{"Red Hat Enterprise Linux with HA", sw, "No License required"}, true
	case "suse linux", "suse":
		return ec2Platform{"SUSE", sw, "No License required"}, true
	case "ubuntu pro":
		return ec2Platform{"Ubuntu Pro", sw, "No License required"}, true
	}
	return ec2Platform{}, false
}

// ec2Tenancy maps the instance's tenancy to the price list's.
func ec2Tenancy(t string) string {
	switch strings.ToLower(t) {
	case "dedicated":
		return "Dedicated"
	case "host":
		return "Host"
	}
	return "Shared"
}

// ec2Lookup is the on-demand query for an instance type: regionCode, never location,
// and capacitystatus=Used so reservation SKUs stay out.
func ec2Lookup(region, instanceType string, pl ec2Platform, tenancy string) Lookup {
	kv := []string{
		"regionCode", region, "instanceType", instanceType, "operatingSystem", pl.os,
		"tenancy", tenancy, "preInstalledSw", pl.preInstalledSw, "capacitystatus", "Used",
	}
	if pl.licenseModel != "" {
		kv = append(kv, "licenseModel", pl.licenseModel)
	}
	return lookup("AmazonEC2", kv...)
}

// running says whether an instance or database is billed for compute this hour.
func running(state string) bool {
	switch strings.ToLower(state) {
	case "", "running", "pending", "available", "backing-up", "modifying", "storage-optimization", "rebooting":
		return true
	}
	return false
}

func planEC2(r models.Resource) plan {
	region := priceRegion(r)
	pl, ok := ec2PlatformFor(r.Attr("platform"))
	if !ok {
		return plan{noPrice: fmt.Sprintf("unknown platform %q", r.Attr("platform"))}
	}
	tenancy := ec2Tenancy(r.Attr("tenancy"))
	var p plan
	hours := 0.0
	if running(r.State) {
		hours = 1
	} else {
		p.notes = append(p.notes, "not running: no compute charge")
	}
	pick := pickFirst(func(pr Product) bool {
		// Windows is queried without licenseModel; the license-included SKU is the one
		// that is not bring-your-own-license.
		return pr.Attributes["licenseModel"] != "Bring your own license" || pl.licenseModel == "Bring your own license"
	})
	var fb func() (Rate, bool)
	if pl.os == "Linux" && pl.preInstalledSw == "NA" && tenancy == "Shared" {
		fb = func() (Rate, bool) { return fallbackEC2(region, r.Type) }
	}
	if r.Attr("lifecycle") == "spot" {
		p.notes = append(p.notes, "spot instance: on-demand price shown as an upper bound")
	}
	if tenancy == "Host" {
		p.notes = append(p.notes, "runs on a Dedicated Host, which is billed per host")
	}
	p.charges = append(p.charges, charge{
		name: "compute", kind: perHour, qty: hours,
		price: ref(ec2Lookup(region, r.Type, pl, tenancy), pick, fb),
	})
	// The instance's public_ipv4 count is not charged here: the vpc collector lists
	// every public address (public_ip, elastic_ip) as a resource of its own, and each is
	// priced there once.
	if n := usage(r, "public_ipv4"); n > 0 {
		p.notes = append(p.notes, "public IPv4 addresses are priced under vpc")
	}
	return p
}

// ---------------------------------------------------------------------------------
// VPC: public IPv4 and NAT gateways

// publicIPv4Charge is n addresses for an hour. Since 2024-02-01 every public IPv4
// address costs the same, in use or idle; the usage types differ.
func publicIPv4Charge(region string, n float64, inUse bool) charge {
	base := "PublicIPv4:IdleAddress"
	if inUse {
		base = "PublicIPv4:InUseAddress"
	}
	return charge{
		name: "public-ipv4", kind: perHour, qty: n, optional: true,
		price: ref(lookup("AmazonVPC", "regionCode", region), pickFirst(usageIs(base)), fallbackPublicIPv4),
	}
}

func planPublicIP(r models.Resource) plan {
	if r.Attr("byoip") == "true" {
		free := Flat("Hrs", 0)
		return plan{charges: []charge{{name: "public-ipv4", kind: perHour, qty: 1, price: priceRef{fixed: &free, fixedSource: models.SourceAPI}}},
			notes: []string{"brought to AWS from the account's own range (BYOIP): no charge"}}
	}
	inUse := r.Kind == models.KindPublicIP || r.Attr("association_id") != "" || r.Attr("instance_id") != ""
	c := publicIPv4Charge(priceRegion(r), 1, inUse)
	c.optional = false
	p := plan{charges: []charge{c}}
	if h := r.Attr("holder"); h != "" {
		p.notes = append(p.notes, strings.TrimSpace("held by "+h+" "+r.Attr("holder_id")))
	}
	return p
}

func planNAT(r models.Resource) plan {
	region := priceRegion(r)
	l := lookup("AmazonEC2", "regionCode", region, "productFamily", "NAT Gateway")
	hours := 1.0
	if s := strings.ToLower(r.State); s == "deleted" || s == "failed" {
		hours = 0
	}
	fb := func() (Rate, bool) { return fallbackNAT(region) }
	fbGB := func() (Rate, bool) {
		rt, ok := fallbackNAT(region)
		rt.Unit = "GB"
		return rt, ok
	}
	return plan{charges: []charge{
		{name: "hours", kind: perHour, qty: hours, price: ref(l, pickFirst(usageIs("NatGateway-Hours")), fb)},
		{name: "data-processed", kind: perHour, qty: usage(r, "bytes_processed_hour") / bytesPerGiB,
			price: ref(l, pickFirst(usageIs("NatGateway-Bytes")), fbGB)},
	}}
}

// ---------------------------------------------------------------------------------
// EBS

func planEBS(r models.Resource) plan {
	region := priceRegion(r)
	vt := strings.ToLower(r.Type)
	p := plan{charges: []charge{{
		name: "storage", kind: perMonth, qty: usage(r, "size_gb"),
		price: ref(lookup("AmazonEC2", "regionCode", region, "productFamily", "Storage", "volumeApiName", vt),
			pickFirst(nil), func() (Rate, bool) { return fallbackEBS(region, vt) }),
	}}}
	iopsLookup := lookup("AmazonEC2", "regionCode", region, "productFamily", "System Operation", "volumeApiName", vt)
	switch vt {
	case "gp3":
		p.charges = append(p.charges,
			charge{name: "iops", kind: perMonth, qty: usage(r, "iops"), baseline: 3000, optional: true,
				price: ref(iopsLookup, pickFirst(usageIs("EBS:VolumeP-IOPS.gp3")), func() (Rate, bool) { return fallbackGP3IOPS(region) })},
			charge{name: "throughput", kind: perMonth, qty: usage(r, "throughput_mbps"), baseline: 125, optional: true,
				price: ref(lookup("AmazonEC2", "regionCode", region, "productFamily", "Provisioned Throughput", "volumeApiName", vt),
					perMiBps(pickFirst(usageIs("EBS:VolumeP-Throughput.gp3"))), func() (Rate, bool) { return fallbackGP3Throughput(region) })},
		)
	case "io1":
		p.charges = append(p.charges, charge{name: "iops", kind: perMonth, qty: usage(r, "iops"), optional: true,
			price: ref(iopsLookup, pickFirst(usageIs("EBS:VolumeP-IOPS.piops")), func() (Rate, bool) { return fallbackPIOPS(region, vt) })})
	case "io2":
		p.charges = append(p.charges, charge{name: "iops", kind: perMonth, qty: usage(r, "iops"), optional: true,
			price: ref(iopsLookup, pickIO2IOPS, func() (Rate, bool) { return fallbackPIOPS(region, vt) })})
	case "standard":
		p.notes = append(p.notes, "magnetic I/O requests are not priced")
	}
	return p
}

// pickIO2IOPS assembles io2's IOPS tiers, which the price list keeps as three SKUs:
// EBS:VolumeP-IOPS.io2 (up to 32,000), .io2.tier2 (32,001-64,000) and .io2.tier3.
func pickIO2IOPS(ps []Product) (Rate, bool) {
	bounds := []float64{0, 32000, 64000, math.Inf(1)}
	out := Rate{Unit: "IOPS-Mo"}
	for i, suffix := range []string{"EBS:VolumeP-IOPS.io2", "EBS:VolumeP-IOPS.io2.tier2", "EBS:VolumeP-IOPS.io2.tier3"} {
		r, ok := pickFirst(usageIs(suffix))(ps)
		if !ok {
			if i == 0 {
				return Rate{}, false
			}
			// Without the higher tiers, the first tier's price applies throughout: an
			// upper bound.
			out.Tiers[len(out.Tiers)-1].End = math.Inf(1)
			break
		}
		out.Tiers = append(out.Tiers, Tier{Begin: bounds[i], End: bounds[i+1], USD: r.Tiers[len(r.Tiers)-1].USD})
	}
	return out, true
}

// ---------------------------------------------------------------------------------
// RDS

// rdsEngines maps RDS engine names to the price list's databaseEngine (and edition).
var rdsEngines = map[string][2]string{
	"mysql": {"MySQL", ""}, "postgres": {"PostgreSQL", ""}, "mariadb": {"MariaDB", ""},
	"aurora-mysql": {"Aurora MySQL", ""}, "aurora": {"Aurora MySQL", ""}, "aurora-postgresql": {"Aurora PostgreSQL", ""},
	"oracle-se2": {"Oracle", "Standard Two"}, "oracle-ee": {"Oracle", "Enterprise"},
	"sqlserver-ex": {"SQL Server", "Express"}, "sqlserver-web": {"SQL Server", "Web"},
	"sqlserver-se": {"SQL Server", "Standard"}, "sqlserver-ee": {"SQL Server", "Enterprise"},
}

// rdsStorageTypes maps storage types to the price list's volumeType.
var rdsStorageTypes = map[string]string{
	"gp2": "General Purpose", "gp3": "General Purpose-GP3", "io1": "Provisioned IOPS",
	"io2": "Provisioned IOPS-IO2", "standard": "Magnetic",
}

func planRDS(r models.Resource, at time.Time) plan {
	region := priceRegion(r)
	engine := strings.ToLower(r.Attr("engine"))
	eng, ok := rdsEngines[engine]
	if !ok {
		return plan{noPrice: fmt.Sprintf("unknown RDS engine %q", engine)}
	}
	multiAZ := r.Attr("multi_az") == "true"
	deployment := "Single-AZ"
	if multiAZ {
		deployment = "Multi-AZ"
	}
	kv := []string{"regionCode", region, "productFamily", "Database Instance", "instanceType", r.Type,
		"databaseEngine", eng[0], "deploymentOption", deployment}
	if eng[1] != "" {
		kv = append(kv, "databaseEdition", eng[1])
	}
	license := map[string]string{"license-included": "License included", "bring-your-own-license": "Bring your own license"}[r.Attr("license_model")]
	pick := pickPreferred(
		func(p Product) bool { return license == "" || p.Attributes["licenseModel"] == license },
		nil,
	)
	var p plan
	hours := 0.0
	if rdsBilled(r.State) {
		hours = 1
	} else {
		p.notes = append(p.notes, r.State+": no instance charge")
	}
	p.charges = append(p.charges, charge{name: "instance", kind: perHour, qty: hours,
		price: ref(lookup("AmazonRDS", kv...), pick, func() (Rate, bool) { return fallbackRDS(region, engine, r.Type, multiAZ) })})
	// Extended Support is charged while the instance exists, running or stopped.
	if c, note, ok := extendedSupportCharge(r, region, engine, multiAZ, at); ok {
		c.warnMonthly = engine + " " + r.Attr("engine_version") + " is past standard support: upgrade to stop paying %s a month of Extended Support"
		p.charges = append(p.charges, c)
	} else if note != "" {
		p.notes = append(p.notes, note)
	}

	if strings.HasPrefix(engine, "aurora") {
		p.notes = append(p.notes, "Aurora storage is billed per cluster and not priced here")
		return p
	}
	st := strings.ToLower(r.Attr("storage_type"))
	if st == "" {
		st = "gp2"
	}
	vt, ok := rdsStorageTypes[st]
	if !ok {
		p.notes = append(p.notes, fmt.Sprintf("storage type %q not priced", st))
		return p
	}
	byEngine := func(p Product) bool { return p.Attributes["databaseEngine"] == eng[0] }
	anyEngine := func(p Product) bool {
		return p.Attributes["databaseEngine"] == "Any" || p.Attributes["databaseEngine"] == ""
	}
	p.charges = append(p.charges, charge{name: "storage", kind: perMonth, qty: usage(r, "allocated_gb"),
		price: ref(lookup("AmazonRDS", "regionCode", region, "productFamily", "Database Storage", "volumeType", vt, "deploymentOption", deployment),
			pickPreferred(byEngine, anyEngine, nil), func() (Rate, bool) { return fallbackRDSStorage(region, st, multiAZ) })})
	if st == "io1" || st == "io2" {
		// The IOPS products of io1 and io2 differ only by volumeType: a lookup without it
		// would price io2 at io1's rate.
		p.charges = append(p.charges, charge{name: "iops", kind: perMonth, qty: usage(r, "iops"), optional: true,
			price: ref(lookup("AmazonRDS", "regionCode", region, "productFamily", "Provisioned IOPS", "volumeType", vt, "deploymentOption", deployment),
				pickPreferred(byEngine, anyEngine, nil), func() (Rate, bool) { return fallbackRDSIOPS(region, multiAZ) })})
	}
	if st == "gp3" && usage(r, "iops") > 3000 {
		p.notes = append(p.notes, "gp3 IOPS above the included baseline are not priced")
	}
	return p
}

// ---------------------------------------------------------------------------------
// Lambda

func planLambda(r models.Resource) plan {
	region := priceRegion(r)
	arch := "x86_64"
	suffix := ""
	if strings.EqualFold(r.Type, "arm64") {
		arch, suffix = "arm64", "-ARM"
	}
	// GB-seconds: memory in GB (MB / 1024) times seconds (ms / 1000).
	gbSeconds := usage(r, "memory_mb") / 1024 * usage(r, "duration_ms_hour") / 1000
	return plan{charges: []charge{
		{name: "requests", kind: flow, qty: usage(r, "invocations_hour"),
			freePool: freeLambdaRequests, tierPool: "tier:lambda-requests:" + arch + ":" + region,
			price: ref(lookup("AWSLambda", "regionCode", region, "group", "AWS-Lambda-Requests"+suffix), pickFirst(nil),
				func() (Rate, bool) { return fallbackLambdaRequests(region) })},
		{name: "duration", kind: flow, qty: gbSeconds,
			freePool: freeLambdaGBSeconds, tierPool: "tier:lambda-gb-seconds:" + arch + ":" + region,
			price: ref(lookup("AWSLambda", "regionCode", region, "group", "AWS-Lambda-Duration"+suffix), pickFirst(nil),
				func() (Rate, bool) { return fallbackLambdaDuration(region, arch) })},
	}}
}

// ---------------------------------------------------------------------------------
// S3

// s3Classes maps CloudWatch's BucketSizeBytes StorageType to the usage type it is billed
// under (overheads bill at their class's rate; the S3-side overheads of archived objects
// at Standard's).
var s3Classes = map[string]string{
	"StandardStorage":                     "TimedStorage-ByteHrs",
	"GlacierS3ObjectOverhead":             "TimedStorage-ByteHrs",
	"DeepArchiveS3ObjectOverhead":         "TimedStorage-ByteHrs",
	"StandardIAStorage":                   "TimedStorage-SIA-ByteHrs",
	"StandardIASizeOverhead":              "TimedStorage-SIA-ByteHrs",
	"OneZoneIAStorage":                    "TimedStorage-ZIA-ByteHrs",
	"OneZoneIASizeOverhead":               "TimedStorage-ZIA-ByteHrs",
	"ReducedRedundancyStorage":            "TimedStorage-RRS-ByteHrs",
	"GlacierInstantRetrievalStorage":      "TimedStorage-GIR-ByteHrs",
	"GlacierInstantRetrievalSizeOverhead": "TimedStorage-GIR-ByteHrs",
	"GlacierStorage":                      "TimedStorage-GlacierByteHrs",
	"GlacierObjectOverhead":               "TimedStorage-GlacierByteHrs",
	"DeepArchiveStorage":                  "TimedStorage-GDA-ByteHrs",
	"DeepArchiveObjectOverhead":           "TimedStorage-GDA-ByteHrs",
	"IntelligentTieringFAStorage":         "TimedStorage-INT-FA-ByteHrs",
	"IntelligentTieringIAStorage":         "TimedStorage-INT-IA-ByteHrs",
	"IntelligentTieringAIAStorage":        "TimedStorage-INT-AIA-ByteHrs",
	"IntelligentTieringAAStorage":         "TimedStorage-INT-AA-ByteHrs",
	"IntelligentTieringDAAStorage":        "TimedStorage-INT-DAA-ByteHrs",
	"ExpressOneZone":                      "TimedStorage-XZ-ByteHrs",
}

func planS3(r models.Resource) plan {
	region := priceRegion(r)
	var p plan
	keys := make([]string, 0, len(r.Usage))
	for k := range r.Usage {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		class, ok := strings.CutPrefix(k, "bytes_")
		if !ok {
			continue
		}
		ut, known := s3Classes[class]
		if !known {
			p.notes = append(p.notes, fmt.Sprintf("storage type %s not priced", class))
			continue
		}
		// Deep Archive storage lives in its own offer, without a productFamily.
		l := lookup("AmazonS3", "regionCode", region, "productFamily", "Storage")
		if ut == "TimedStorage-GDA-ByteHrs" {
			l = lookup("AmazonS3GlacierDeepArchive", "regionCode", region)
		}
		c := charge{name: "storage:" + class, kind: perMonth, qty: r.Usage[k] / bytesPerGiB, optional: true,
			tierPool: "tier:s3:" + ut + ":" + region,
			price:    ref(l, pickFirst(usageIs(ut)), func() (Rate, bool) { return fallbackS3(region, ut) })}
		if ut == "TimedStorage-ByteHrs" {
			c.freePool = freeS3StandardGB
		}
		p.charges = append(p.charges, c)
	}
	if len(p.charges) == 0 {
		// An empty bucket costs nothing; a zero charge keeps its price source visible.
		p.charges = append(p.charges, charge{name: "storage:StandardStorage", kind: perMonth,
			price: ref(lookup("AmazonS3", "regionCode", region, "productFamily", "Storage"), pickFirst(usageIs("TimedStorage-ByteHrs")),
				func() (Rate, bool) { return fallbackS3(region, "TimedStorage-ByteHrs") })})
	}
	p.notes = append(p.notes, "requests and data transfer are not priced")
	return p
}

// ---------------------------------------------------------------------------------
// FSx

// ---------------------------------------------------------------------------------
// CloudWatch

func planCloudWatch(r models.Resource) plan {
	region := priceRegion(r)
	l := lookup("AmazonCloudWatch", "regionCode", region)
	switch r.Kind {
	case models.KindMetricNamespace:
		return plan{charges: []charge{{name: "metrics", kind: perMonth, qty: usage(r, "metrics"),
			freePool: freeCWMetrics, tierPool: "tier:cloudwatch-metrics:" + region,
			price: ref(l, pickFirst(usageIs("CW:MetricMonitorUsage")), func() (Rate, bool) { return fallbackCWMetrics(region) })}}}
	case models.KindAlarm:
		// An alarm is priced per alarm metric per month: a monthly stock, never x730.
		n := usage(r, "metrics")
		if n == 0 {
			n = 1
		}
		if r.Type == "high-resolution" {
			return plan{charges: []charge{{name: "alarm", kind: perMonth, qty: n,
				price: ref(l, pickFirst(usageIs("CW:HighResAlarmMonitorUsage")), func() (Rate, bool) { return fallbackCWAlarm(region, true) })}}}
		}
		return plan{charges: []charge{{name: "alarm", kind: perMonth, qty: n, freePool: freeCWAlarms,
			price: ref(l, pickFirst(usageIs("CW:AlarmMonitorUsage")), func() (Rate, bool) { return fallbackCWAlarm(region, false) })}}}
	}
	return plan{charges: []charge{
		{name: "ingestion", kind: flow, qty: usage(r, "ingested_bytes_hour") / bytesPerGiB,
			freePool: freeCWLogsIngestGB, tierPool: "tier:cloudwatch-logs-ingested:" + region,
			price: ref(l, pickFirst(usageIs("DataProcessing-Bytes")), func() (Rate, bool) { return fallbackCWLogsIngest(region) })},
		{name: "storage", kind: perMonth, qty: usage(r, "stored_bytes") / bytesPerGiB,
			price: ref(l, pickFirst(usageIs("TimedStorage-ByteHrs")), func() (Rate, bool) { return fallbackCWLogsStorage(region) })},
	}}
}

// ---------------------------------------------------------------------------------
// WAF

func planWAF(r models.Resource) plan {
	region := priceRegion(r)
	l := lookup("awswaf", "regionCode", region)
	fb := func(part string) func() (Rate, bool) { return func() (Rate, bool) { return fallbackWAF(part) } }
	return plan{charges: []charge{
		{name: "web-acl", kind: perMonth, qty: 1,
			price: ref(l, pickPreferred(usageIs("WebACLV2"), usageIs("WebACL")), fb("acl"))},
		{name: "rules", kind: perMonth, qty: usage(r, "rules"), optional: true,
			price: ref(l, pickPreferred(usageIs("RuleV2"), usageIs("Rule")), fb("rule"))},
		{name: "requests", kind: perHour, qty: usage(r, "requests_hour"),
			price: ref(l, pickPreferred(usageIs("RequestV2-Tier1"), usageIs("RequestV2"), usageIs("Request")), fb("request"))},
	}}
}

// ---------------------------------------------------------------------------------
// Amazon Q Business

func planQ(r models.Resource) plan {
	lite, pro := Flat("User-Mo", qLiteUserMonth), Flat("User-Mo", qProUserMonth)
	fixed := func(rt Rate) priceRef { return priceRef{fixed: &rt, fixedSource: models.SourceFallback} }
	return plan{charges: []charge{
		{name: "lite-users", kind: perMonth, qty: usage(r, "users_lite"), price: fixed(lite)},
		{name: "pro-users", kind: perMonth, qty: usage(r, "users_pro"), price: fixed(pro)},
	}}
}

// ---------------------------------------------------------------------------------
// CloudFront

// planCloudFront prices data out and requests at the United States / Europe edge rates
// (the collector reports totals, not where viewers were), HTTPS requests at the HTTPS
// rate. Tiers and the free allowance apply to account-wide month-to-date usage.
func planCloudFront(r models.Resource) plan {
	out := lookup("AmazonCloudFront", "usagetype", "US-DataTransfer-Out-Bytes")
	req := lookup("AmazonCloudFront", "usagetype", "US-Requests-Tier2-HTTPS")
	return plan{
		charges: []charge{
			{name: "data-out", kind: flow, qty: usage(r, "bytes_out_hour") / bytesPerGiB,
				freePool: freeCloudFrontGB, tierPool: "tier:cloudfront-out",
				price: ref(out, pickPreferred(attrIs("transferType", "CloudFront Outbound"), nil), fallbackCloudFrontOut)},
			{name: "requests", kind: flow, qty: usage(r, "requests_hour"),
				freePool: freeCloudFrontReqs, tierPool: "tier:cloudfront-requests",
				price: ref(req, pickFirst(nil), fallbackCloudFrontRequests)},
		},
		notes: []string{"priced at United States/Europe edge rates"},
	}
}

// ---------------------------------------------------------------------------------
// Lightsail

func planLightsail(r models.Resource, mtd *MonthToDate) plan {
	region := priceRegion(r)
	switch r.Kind {
	case models.KindStaticIP:
		if r.Attr("attached_to") != "" {
			free := Flat("Hrs", 0)
			return plan{charges: []charge{{name: "static-ip", kind: perHour, qty: 1, price: priceRef{fixed: &free, fixedSource: models.SourceFallback}}},
				notes: []string{"attached static IPs are free"}}
		}
		idle := Flat("Hrs", lightsailIdleIPHourly)
		return plan{charges: []charge{{name: "static-ip", kind: perHour, qty: 1, price: priceRef{fixed: &idle, fixedSource: models.SourceFallback}}}}
	case models.KindDisk:
		disk := Flat("GB-Mo", lightsailDiskGBMonth)
		return plan{charges: []charge{{name: "disk", kind: perMonth, qty: usage(r, "size_gb"), price: priceRef{fixed: &disk, fixedSource: models.SourceFallback}}}}
	}
	price, ok := r.Usage["bundle_price_usd_month"]
	if !ok {
		return plan{noPrice: "bundle price unknown"}
	}
	// The bundle price comes from the account's own GetBundles answer: an API figure.
	bundle := Flat("Bundle-Mo", price)
	p := plan{charges: []charge{{name: "bundle", kind: perMonth, qty: 1, price: priceRef{fixed: &bundle, fixedSource: models.SourceAPI}}}}
	// The month's transfer so far: the guard's pool figures when the collect job added
	// them (usage of deleted instances of the bundle, the prorated allowance), else the
	// instance's own traffic since the 1st against its whole allowance. Data in and out
	// both count toward the allowance; only data out beyond it is billed. The hour is
	// charged what became billable since the last scan, so the month adds up from the 1st
	// whenever costbot started.
	used, ok := r.Usage["transfer_used_month_gb"]
	out, allowance := usage(r, "transfer_out_month_gb"), usage(r, "transfer_allowance_month_gb")
	if !ok {
		used = (usage(r, "bytes_in_month") + usage(r, "bytes_out_month")) / bytesPerDecimalG
		out, allowance = usage(r, "bytes_out_month")/bytesPerDecimalG, usage(r, "transfer_allowance_gb")
	}
	if billable := models.LightsailOverageBytes(used, out, allowance); billable > 0 {
		meter := "lightsail-overage-gb:" + r.Key()
		qty := max(0, billable-mtd.Get(meter))
		rate, note := lightsailOverageRate(region)
		rt := Flat("GB", rate)
		p.charges = append(p.charges, charge{name: "transfer-overage", kind: perHour, qty: qty, optional: true, note: note,
			advance: map[string]float64{meter: qty}, price: priceRef{fixed: &rt, fixedSource: models.SourceFallback}})
	}
	return p
}

// planQIndex prices an Amazon Q Business index per capacity unit-hour: Enterprise 0.264,
// Starter 0.140, list prices in every region (labelled fallback, as Q's user prices).
func planQIndex(r models.Resource) plan {
	rate := Flat("Unit-Hrs", qEnterpriseIndexUnitHour)
	if r.Type == "starter" {
		rate = Flat("Unit-Hrs", qStarterIndexUnitHour)
	}
	return plan{charges: []charge{{name: "index-units", kind: perHour, qty: usage(r, "units"),
		price: priceRef{fixed: &rate, fixedSource: models.SourceFallback}}}}
}
