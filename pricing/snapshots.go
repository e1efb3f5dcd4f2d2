package pricing

import (
	"costbot/models"
)

// upperBoundNote labels a snapshot priced at its source's full size: AWS bills the
// blocks a snapshot holds (incremental after the first), which no API exposes.
const upperBoundNote = "upper bound: priced at the full source size; AWS bills only the blocks the snapshot holds"

// planEBSSnapshot prices an EBS snapshot per GB-month in its tier: standard, or archive
// (full size, at the archive rate).
func planEBSSnapshot(r models.Resource) plan {
	region := priceRegion(r)
	meter, kind := "EBS:SnapshotUsage", "ebs"
	if r.Type == "archive" {
		meter, kind = "EBS:SnapshotArchiveStorage", "ebs-archive"
	}
	p := plan{charges: []charge{{name: "snapshot-storage", kind: perMonth, qty: usage(r, "size_gb"),
		price: ref(lookup("AmazonEC2", "regionCode", region, "productFamily", "Storage Snapshot"),
			pickFirst(usageEndsWith(meter)), func() (Rate, bool) { return fallbackSnapshot(region, kind) })}}}
	if r.Attr("upper_bound") == "true" {
		p.warnings = append(p.warnings, upperBoundNote)
	}
	return p
}

// planRDSSnapshot prices a manual DB snapshot. While its instance exists, AWS bills it
// inside the instance's backup storage (TotalBackupStorageBilled, listed as that
// instance's backup_storage), so it adds nothing here; a snapshot whose instance is gone
// is billed whole, priced at its allocated size as an upper bound.
func planRDSSnapshot(r models.Resource) plan {
	region := priceRegion(r)
	qty := usage(r, "size_gb")
	var notes, warnings []string
	if db := r.Attr("billed_with"); db != "" {
		qty = 0
		notes = append(notes, "billed in the backup storage of "+db)
	} else if r.Attr("upper_bound") == "true" {
		warnings = append(warnings, upperBoundNote)
	}
	return plan{notes: notes, warnings: warnings, charges: []charge{{name: "snapshot-storage", kind: perMonth, qty: qty,
		price: ref(lookup("AmazonRDS", "regionCode", region, "productFamily", "Storage Snapshot"),
			pickFirst(usageEndsWith("RDS:ChargedBackupUsage")), func() (Rate, bool) { return fallbackSnapshot(region, "rds") })}}}
}

// planLightsailSnapshot prices an instance or disk snapshot at Lightsail's snapshot
// rate, on the source's size (an upper bound: Lightsail bills the space used).
func planLightsailSnapshot(r models.Resource) plan {
	rate := Flat("GB-Mo", lightsailSnapshotGBMonth)
	return plan{charges: []charge{{name: "snapshot", kind: perMonth, qty: usage(r, "size_gb"),
		price: priceRef{fixed: &rate, fixedSource: models.SourceFallback}}},
		warnings: []string{upperBoundNote}}
}

// lightsailSnapshotGBMonth is Lightsail's snapshot storage price, per GB-month.
const lightsailSnapshotGBMonth = 0.05

// snapshotList are snapshot storage prices per GB-month: EBS standard, EBS archive and
// RDS backup storage beyond the free allowance.
var snapshotList = map[string]map[string]float64{
	"us-east-1":      {"ebs": 0.05, "ebs-archive": 0.0125, "rds": 0.095},
	"us-west-2":      {"ebs": 0.05, "ebs-archive": 0.0125, "rds": 0.095},
	"eu-west-1":      {"ebs": 0.05, "ebs-archive": 0.0125, "rds": 0.095},
	"ap-northeast-1": {"ebs": 0.05, "ebs-archive": 0.0125, "rds": 0.095},
	"ap-southeast-1": {"ebs": 0.05, "ebs-archive": 0.0125, "rds": 0.095},
}

func fallbackSnapshot(region, kind string) (Rate, bool) {
	p, ok := snapshotList[region][kind]
	if !ok {
		return Rate{}, false
	}
	return Flat("GB-Mo", p), true
}
