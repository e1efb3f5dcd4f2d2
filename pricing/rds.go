package pricing

import (
	"fmt"
	"strings"
	"time"

	"costbot/models"
)

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
