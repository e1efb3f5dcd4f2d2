package pricing

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"costbot/models"
)

// fsxTypes maps FileSystemType to the price list's fileSystemType.
var fsxTypes = map[string]string{"WINDOWS": "Windows", "LUSTRE": "Lustre", "ONTAP": "ONTAP", "OPENZFS": "OpenZFS"}

// normalized lower-cases s and keeps only letters and digits: "PERSISTENT_1" and
// "Persistent 1" both read "persistent1".
func normalized(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// leadingNumber reads the number an attribute starts with ("125 MBps/TiB" is 125).
func leadingNumber(s string) (float64, bool) {
	end := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	if end < 0 {
		end = len(s)
	}
	f, err := strconv.ParseFloat(s[:end], 64)
	return f, err == nil
}

func planFSx(r models.Resource) plan {
	region := priceRegion(r)
	fsType, ok := fsxTypes[strings.ToUpper(r.Type)]
	if !ok {
		return plan{noPrice: fmt.Sprintf("unknown FSx type %q", r.Type)}
	}
	storage := strings.ToUpper(r.Attr("storage_type"))
	if storage == "" {
		storage = "SSD"
	}
	// One query per region holds every FSx product; the product is chosen by attributes.
	l := lookup("AmazonFSx", "regionCode", region)
	base := all(attrIs("fileSystemType", fsType), attrIs("storageType", storage), func(p Product) bool { return p.Family == "Storage" })
	if fsType == "Lustre" {
		return planLustre(r, l, base)
	}
	dep := strings.ToUpper(r.Attr("deployment_type"))
	deployment := "Single-AZ"
	if strings.HasPrefix(dep, "MULTI_AZ") {
		deployment = "Multi-AZ"
	}
	onDeployment := attrIs("deploymentOption", deployment)
	p := plan{charges: []charge{{name: "storage", kind: perMonth, qty: usage(r, "storage_gb"), price: ref(l, pickFirst(all(base, onDeployment)), nil)}}}
	thr := pickFirst(all(attrIs("fileSystemType", fsType), func(p Product) bool { return p.Family == "Provisioned Throughput" }, onDeployment))
	p.charges = append(p.charges, charge{name: "throughput", kind: perMonth, qty: usage(r, "throughput_mbps"), optional: true, price: ref(l, thr, nil)})
	p.notes = append(p.notes, "backups and SSD IOPS are not priced")
	return p
}

// planLustre prices a Lustre file system's storage at the SKU of its deployment type
// (SCRATCH_2, PERSISTENT_1, PERSISTENT_2) and, for a persistent one, its throughput tier
// per TiB (PERSISTENT_1: 50/100/200, PERSISTENT_2: 125/250/500/1000, HDD: 12/40 MB/s):
// each pair is a storage price of its own that includes the throughput.
func planLustre(r models.Resource, l Lookup, base func(Product) bool) plan {
	dep := normalized(r.Attr("deployment_type"))
	perTiB := usage(r, "throughput_per_tib")
	match := all(base, func(p Product) bool {
		if normalized(p.Attributes["deploymentOption"]) != dep {
			return false
		}
		if perTiB == 0 {
			return true
		}
		n, ok := leadingNumber(p.Attributes["throughputCapacity"])
		return ok && n == perTiB
	})
	p := plan{charges: []charge{{name: "storage", kind: perMonth, qty: usage(r, "storage_gb"), price: ref(l, pickFirst(match), nil)}}}
	if perTiB > 0 {
		p.notes = append(p.notes, fmt.Sprintf("Lustre %s at %g MB/s per TiB", r.Attr("deployment_type"), perTiB))
	}
	p.notes = append(p.notes, "backups and metadata IOPS are not priced")
	return p
}
