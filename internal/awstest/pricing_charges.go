package awstest

// chargesCatalogue holds the products of the charges small accounts are surprised by:
// load balancers (AWSELB), EBS snapshots in both tiers, RDS backup storage, Extended
// Support and Provisioned IOPS by volume type, and FSx for Lustre by deployment type
// and throughput tier, in us-east-1 and eu-west-1. Shapes follow the Price List API
// (region-prefixed usage types, unprefixed for most us-east-1 EC2 and ELB ones, the
// extendedSupportPricingYear attribute). us-east-1 amounts are the public list prices;
// the eu-west-1 Lustre amounts are as remembered from the pricing page.
func chargesCatalogue() []PriceItem {
	var c []PriceItem
	add := func(items ...PriceItem) { c = append(c, items...) }
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		eu := region == "eu-west-1"
		pick := func(us, euro string) string {
			if eu {
				return euro
			}
			return us
		}
		// Load balancers: an hour, and a capacity unit-hour (GB processed for Classic).
		for _, lb := range []struct{ family, op, hour, unit, unitUsage, unitName string }{
			{"Load Balancer-Application", "LoadBalancing:Application", pick("0.0225000000", "0.0252000000"), "0.0080000000", "LCUUsage", "LCU-Hrs"},
			{"Load Balancer-Network", "LoadBalancing:Network", pick("0.0225000000", "0.0252000000"), "0.0060000000", "LCUUsage", "LCU-Hrs"},
			{"Load Balancer-Gateway", "LoadBalancing:Gateway", pick("0.0125000000", "0.0140000000"), pick("0.0040000000", "0.0045000000"), "LCUUsage", "LCU-Hrs"},
			{"Load Balancer", "LoadBalancing", pick("0.0250000000", "0.0280000000"), "0.0080000000", "DataProcessing-Bytes", "GB"},
		} {
			add(PriceItem{ServiceCode: "AWSELB", Family: lb.family, Unit: "Hrs", Tiers: flat(lb.hour),
				Attrs: regionAttrs(region, map[string]string{"usagetype": ec2UsageType(region, "LoadBalancerUsage"), "operation": lb.op})},
				PriceItem{ServiceCode: "AWSELB", Family: lb.family, Unit: lb.unitName, Tiers: flat(lb.unit),
					Attrs: regionAttrs(region, map[string]string{"usagetype": ec2UsageType(region, lb.unitUsage), "operation": lb.op})})
		}
		// Snapshots: EBS standard and archive tiers; RDS backup storage beyond the free allowance.
		add(PriceItem{ServiceCode: "AmazonEC2", Family: "Storage Snapshot", Unit: "GB-Mo", Tiers: flat("0.0500000000"),
			Attrs: regionAttrs(region, map[string]string{"usagetype": ec2UsageType(region, "EBS:SnapshotUsage"), "storageMedia": "Amazon S3"})},
			PriceItem{ServiceCode: "AmazonEC2", Family: "Storage Snapshot", Unit: "GB-Mo", Tiers: flat("0.0125000000"),
				Attrs: regionAttrs(region, map[string]string{"usagetype": ec2UsageType(region, "EBS:SnapshotArchiveStorage"), "storageMedia": "Amazon S3"})},
			PriceItem{ServiceCode: "AmazonRDS", Family: "Storage Snapshot", Unit: "GB-Mo", Tiers: flat("0.0950000000"),
				Attrs: regionAttrs(region, map[string]string{"usagetype": ec2UsageType(region, "RDS:ChargedBackupUsage"), "databaseEngine": "Any"})})
		// RDS Extended Support per vCPU-hour: Year 1-2, and twice that in Year 3.
		yr12, yr3 := pick("0.1000000000", "0.1120000000"), pick("0.2000000000", "0.2240000000")
		for _, es := range []struct{ engine, name, version string }{{"MySQL", "MySQL5.7", "5.7"}, {"PostgreSQL", "PostgreSQL12", "12"}} {
			for _, y := range []struct{ year, tier, usd string }{{"Year 1, Year 2", "Yr1-Yr2", yr12}, {"Year 3", "Yr3", yr3}} {
				add(PriceItem{ServiceCode: "AmazonRDS", Family: "Extended Support", Unit: "vCPU-hour", Tiers: flat(y.usd),
					Attrs: regionAttrs(region, map[string]string{"databaseEngine": es.engine, "engineMajorVersion": es.version,
						"extendedSupportPricingYear": y.year, "usagetype": prefixed(region, "ExtendedSupport:"+y.tier+":"+es.name)}),
					Description: "USD " + y.usd + " per hour per vCPU running RDS Extended Support for " + es.engine + " " + es.version + " in " + y.year})
			}
		}
		// RDS Provisioned IOPS storage and IOPS, io1 and io2, Single-AZ.
		for _, v := range []struct{ volume, storageUsage, iopsUsage string }{
			{"Provisioned IOPS", "RDS:PIOPS-Storage", "RDS:PIOPS"},
			{"Provisioned IOPS-IO2", "RDS:PIOPS-Storage-IO2", "RDS:PIOPS-IO2"},
		} {
			add(PriceItem{ServiceCode: "AmazonRDS", Family: "Database Storage", Unit: "GB-Mo", Tiers: flat(pick("0.1250000000", "0.1380000000")),
				Attrs: regionAttrs(region, map[string]string{"volumeType": v.volume, "deploymentOption": "Single-AZ", "databaseEngine": "Any",
					"usagetype": prefixed(region, v.storageUsage)})},
				PriceItem{ServiceCode: "AmazonRDS", Family: "Provisioned IOPS", Unit: "IOPS-Mo", Tiers: flat(pick("0.1000000000", "0.1100000000")),
					Attrs: regionAttrs(region, map[string]string{"volumeType": v.volume, "deploymentOption": "Single-AZ", "databaseEngine": "Any",
						"usagetype": prefixed(region, v.iopsUsage)})})
		}
		// FSx for Lustre, SSD: a storage SKU per deployment type and per-TiB throughput.
		for _, l := range []struct{ deployment, throughput, us, euro string }{
			{"Scratch 2", "", "0.1400000000", "0.1540000000"},
			{"Persistent 1", "50", "0.1450000000", "0.1600000000"},
			{"Persistent 1", "100", "0.2100000000", "0.2310000000"},
			{"Persistent 1", "200", "0.2900000000", "0.3190000000"},
			{"Persistent 2", "125", "0.1450000000", "0.1600000000"},
			{"Persistent 2", "250", "0.2100000000", "0.2310000000"},
			{"Persistent 2", "500", "0.3400000000", "0.3740000000"},
			{"Persistent 2", "1000", "0.6000000000", "0.6600000000"},
		} {
			attrs := map[string]string{"fileSystemType": "Lustre", "storageType": "SSD", "deploymentOption": l.deployment,
				"usagetype": prefixed(region, "StorageUsage:"+l.deployment+":SSD:"+l.throughput)}
			if l.throughput != "" {
				attrs["throughputCapacity"] = l.throughput
			}
			add(PriceItem{ServiceCode: "AmazonFSx", Family: "Storage", Unit: "GB-Mo", Tiers: flat(pick(l.us, l.euro)), Attrs: regionAttrs(region, attrs)})
		}
	}
	// RDS MySQL db.t3.micro and gp2 storage in eu-west-1 (us-east-1's are in the main
	// catalogue).
	add(PriceItem{ServiceCode: "AmazonRDS", Family: "Database Instance", Unit: "Hrs", Tiers: flat("0.0180000000"),
		Attrs: regionAttrs("eu-west-1", map[string]string{"instanceType": "db.t3.micro", "databaseEngine": "MySQL",
			"deploymentOption": "Single-AZ", "licenseModel": "No license required", "usagetype": prefixed("eu-west-1", "InstanceUsage:db.t3.micro")})},
		PriceItem{ServiceCode: "AmazonRDS", Family: "Database Storage", Unit: "GB-Mo", Tiers: flat("0.1270000000"),
			Attrs: regionAttrs("eu-west-1", map[string]string{"volumeType": "General Purpose", "deploymentOption": "Single-AZ",
				"databaseEngine": "Any", "usagetype": prefixed("eu-west-1", "RDS:GP2-Storage")})})
	return c
}
