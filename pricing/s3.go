package pricing

import (
	"fmt"
	"slices"
	"strings"

	"costbot/models"
)

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
