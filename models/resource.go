package models

import "time"

// GlobalRegion is the region of resources that belong to no region (CloudFront
// distributions, CLOUDFRONT-scope web ACLs).
const GlobalRegion = "global"

// Resource is one billable thing a collector found, described by facts only: collectors
// never price. Kind says which facts it carries; the keys below are the contract between
// aws/ (which fills them) and pricing/ (which reads them).
//
//	service     kind              Type                     Attrs                                              Usage
//	ec2         instance          instance type (t3.micro) platform (Linux/UNIX, Windows, Red Hat ...),       public_ipv4
//	                                                       tenancy (default|dedicated|host),
//	                                                       lifecycle (on-demand|spot), zone, launch_time
//	ebs         volume            gp2|gp3|io1|io2|st1|sc1|standard  zone, attached_to                         size_gb, iops, throughput_mbps
//	vpc         nat_gateway       nat-gateway              zone, subnet_id, vpc_id                            bytes_processed_hour
//	vpc         elastic_ip        public-ipv4              public_ip, instance_id, association_id, holder,    -
//	                                                       holder_id, byoip (true for the account's own range)
//	vpc         public_ip         public-ipv4              public_ip, instance_id, holder (ec2|alb|nlb|gwlb|  -
//	                                                       elb|nat|rds|ecs|lambda|vpc-endpoint|interface),
//	                                                       holder_id, network_interface_id
//	rds         db_instance       class (db.t3.micro)      engine (mysql|postgres|...), multi_az (true|false),  allocated_gb, iops, throughput_mbps
//	                                                       storage_type, license_model, zone, engine_version
//	lambda      function          x86_64|arm64             runtime                                            memory_mb, invocations_hour, duration_ms_hour
//	s3          bucket            bucket                   -                                                  bytes_<StorageType> (bytes_StandardStorage, ...), objects
//	fsx         file_system       WINDOWS|LUSTRE|ONTAP|OPENZFS  deployment_type, storage_type (SSD|HDD)       storage_gb, throughput_mbps, throughput_per_tib (Lustre)
//	cloudwatch  metric_namespace  custom-metrics           namespace                                          metrics
//	cloudwatch  alarm             standard|high-resolution -                                                  metrics
//	cloudwatch  log_group         log-group                -                                                  stored_bytes, ingested_bytes_hour
//	waf         web_acl           REGIONAL|CLOUDFRONT      -                                                  rules, requests_hour
//	q           application       qbusiness                users_counted_elsewhere (a user is billed once)    users_lite, users_pro
//	q           index             enterprise|starter       application_id                                     units
//	cloudfront  distribution      distribution             domain, price_class                                bytes_out_hour, requests_hour
//	lightsail   instance          bundle id                blueprint, zone, arn                               bundle_price_usd_month, transfer_allowance_gb,
//	                                                                                                          bytes_in_month, bytes_out_month (since the 1st);
//	                                                                                                          the guard's pool figures: transfer_used_month_gb,
//	                                                                                                          transfer_out_month_gb, transfer_allowance_month_gb
//	lightsail   static_ip         static-ip                public_ip, attached_to                             -
//	lightsail   disk              disk                     attached_to, zone                                  size_gb
//	lightsail   snapshot          instance|disk            source, upper_bound (true)                         size_gb
//	elb         load_balancer     application|network|gateway|classic  scheme, dns_name, vpc_id, zones       lcu_hour | bytes_processed_hour,
//	                                                                                                          traffic_7d, targets_registered, targets_healthy
//	ebs         snapshot          standard|archive         volume_id, upper_bound (true when size_gb is the   size_gb
//	                                                       volume's size, not the billed incremental size)
//	rds         snapshot          manual                   db_instance, engine, upper_bound, billed_with      size_gb
//	                                                       (the live instance whose backup storage bills it)
//	rds         backup_storage    backup                   db_instance or db_cluster (Aurora)                 billed_bytes
//
// Flow usage (requests, bytes, GB-seconds) may also come as models.MonthSoFarPrefix+key:
// the month so far before the hour.
//
// Waste marks something that costs money and does nothing: an unattached volume, an
// unassociated Elastic IP or static IP, an unattached disk.
type Resource struct {
	AccountID   string             `json:"account"`
	Service     string             `json:"service"`
	Region      string             `json:"region"`
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Kind        string             `json:"kind"`
	Type        string             `json:"type"`
	State       string             `json:"state"`
	Waste       bool               `json:"waste"`
	WasteReason string             `json:"waste_reason,omitempty"`
	CreatedAt   time.Time          `json:"created_at,omitzero"`
	Attrs       map[string]string  `json:"attrs,omitempty"`
	Usage       map[string]float64 `json:"usage"`
}

// MonthSoFarPrefix marks a usage fact read from the first of the month to the hour
// being priced: "month_so_far:invocations_hour" is the invocations before the hour whose
// invocations_hour the resource reports. A scan reads them when costbot has no
// month-to-date totals of its own.
const MonthSoFarPrefix = "month_so_far:"

// Key identifies a resource across scans.
func (r Resource) Key() string { return r.AccountID + "/" + r.Service + "/" + r.Region + "/" + r.ID }

// Attr returns an attribute or "" when it is absent.
func (r Resource) Attr(name string) string { return r.Attrs[name] }

// Kinds of resources, as listed on Resource.
const (
	KindInstance        = "instance"
	KindVolume          = "volume"
	KindNATGateway      = "nat_gateway"
	KindElasticIP       = "elastic_ip"
	KindPublicIP        = "public_ip"
	KindDBInstance      = "db_instance"
	KindFunction        = "function"
	KindBucket          = "bucket"
	KindFileSystem      = "file_system"
	KindMetricNamespace = "metric_namespace"
	KindAlarm           = "alarm"
	KindLogGroup        = "log_group"
	KindWebACL          = "web_acl"
	KindApplication     = "application"
	KindDistribution    = "distribution"
	KindStaticIP        = "static_ip"
	KindDisk            = "disk"
	KindLoadBalancer    = "load_balancer"
	KindSnapshot        = "snapshot"
	KindBackupStorage   = "backup_storage"
	KindIndex           = "index"
)

// Price sources: where a cost figure's unit price came from.
const (
	SourceAPI      = "api"
	SourceCache    = "cache"
	SourceFallback = "fallback"
)

// HoursPerMonth is AWS's convention for turning monthly prices into hourly ones.
const HoursPerMonth = 730

// Cost is what a resource costs, with where its price came from. Priced is false when no
// price could be found at all: such a resource is shown as unpriced, never as $0.
type Cost struct {
	HourlyUSD  float64 `json:"hourly_usd"`
	MonthlyUSD float64 `json:"monthly_usd"`
	Source     string  `json:"price_source"`
	Priced     bool    `json:"priced"`
	Note       string  `json:"note,omitempty"`
	// Warning is the part of the note the owner should act on or read the figure by: an
	// upper bound, an Extended Support charge and what it costs a month.
	Warning string `json:"warning,omitempty"`
}

// PricedResource is a resource with its cost.
type PricedResource struct {
	Resource
	Cost
}
