package pricing

import (
	"fmt"
	"strings"

	"costbot/models"
)

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
