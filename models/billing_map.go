package models

import (
	"regexp"
	"strings"
)

// The mapping of Cost Explorer's service names and usage types onto costbot's services.
// A billed line either belongs to a service costbot estimates (Service is its key, e.g.
// "ec2") or stays visible under a name of its own (Line): data transfer, snapshots, tax,
// support, credits, every other AWS service as Cost Explorer names it. Nothing is
// dropped: a name costbot does not know is shown as it comes.

// Names of the billed lines costbot does not estimate but groups itself.
const (
	LineDataTransfer = "Data transfer"
	LineSnapshots    = "EBS snapshots"
	LineEC2Other     = "EC2 - Other"
	LineTax          = "Tax"
	LineSupport      = "Support"
	LineCredits      = "Credits"
	LineRefunds      = "Refunds"
)

// BilledKind is where one billed line goes.
type BilledKind struct {
	// Service is the costbot service the line is compared with ("ec2", "vpc", ...), or ""
	// when costbot has no estimate of its own for it.
	Service string
	// Line names the line when Service is "": one of the Line constants or Cost
	// Explorer's own service name.
	Line string
	// Overage marks Lightsail's data transfer beyond the allowance, kept apart so the
	// owner sees how many GB the guard let through.
	Overage bool
}

// ceServices maps Cost Explorer's service names onto costbot's services. A new service
// costbot estimates is a new row; "EC2 - Other" is split by usage type (ec2OtherKind).
var ceServices = map[string]string{
	"Amazon Elastic Compute Cloud - Compute": "ec2",
	"Amazon Elastic Block Store":             "ebs",
	"Amazon Relational Database Service":     "rds",
	"AWS Lambda":                             "lambda",
	"Amazon Simple Storage Service":          "s3",
	"Amazon Virtual Private Cloud":           "vpc",
	"Amazon FSx":                             "fsx",
	"AmazonCloudWatch":                       "cloudwatch",
	"AWS WAF":                                "waf",
	"Amazon Q":                               "q",
	"Amazon Q Business":                      "q",
	"Amazon CloudFront":                      "cloudfront",
	"Amazon Lightsail":                       "lightsail",
	"Elastic Load Balancing":                 "elb",
}

// transferSplit are the services whose data transfer costbot does not estimate: it goes
// to the Data transfer line rather than to the service. (CloudFront and Lightsail price
// their own transfer; EC2 - Other is split in ec2OtherKind.)
var transferSplit = map[string]bool{
	"Amazon Elastic Compute Cloud - Compute": true,
	"Amazon Simple Storage Service":          true,
	"Amazon Relational Database Service":     true,
}

// usageRegionPrefix is the region code in front of a usage type ("USE1-", "APN1-", "EU-").
var usageRegionPrefix = regexp.MustCompile(`^[A-Z]{2,4}[0-9]?-`)

// MeterOf is a usage type without its region prefix: "APN1-NatGateway-Hours" ->
// "NatGateway-Hours".
func MeterOf(usageType string) string { return usageRegionPrefix.ReplaceAllString(usageType, "") }

// usageRegions maps usage type prefixes onto region codes; no prefix is us-east-1.
var usageRegions = map[string]string{
	"USE1": "us-east-1", "USE2": "us-east-2", "USW1": "us-west-1", "USW2": "us-west-2",
	"CAN1": "ca-central-1", "EU": "eu-west-1", "EUW2": "eu-west-2", "EUW3": "eu-west-3",
	"EUC1": "eu-central-1", "EUN1": "eu-north-1", "EUS1": "eu-south-1",
	"APN1": "ap-northeast-1", "APN2": "ap-northeast-2", "APN3": "ap-northeast-3",
	"APS1": "ap-southeast-1", "APS2": "ap-southeast-2", "APS3": "ap-south-1", "APS4": "ap-southeast-3",
	"APE1": "ap-east-1", "SAE1": "sa-east-1", "MES1": "me-south-1", "AFS1": "af-south-1",
}

// UsageRegion is the region a usage type's prefix names: "APN1-..." -> ap-northeast-1;
// no prefix is us-east-1; a prefix costbot does not know is returned as it is.
func UsageRegion(usageType string) string {
	prefix := usageRegionPrefix.FindString(usageType)
	if prefix == "" {
		return "us-east-1"
	}
	code := strings.TrimSuffix(prefix, "-")
	if r, ok := usageRegions[code]; ok {
		return r
	}
	return code
}

// isTransfer reports whether a meter is data transfer: "DataTransfer-Out-Bytes",
// "DataTransfer-Regional-Bytes", "USE1-APN1-AWS-Out-Bytes", "CloudFront-Out-Bytes".
func isTransfer(meter string) bool {
	return strings.Contains(meter, "DataTransfer") || strings.Contains(meter, "DataXfer") ||
		strings.HasSuffix(meter, "-Out-Bytes") || strings.HasSuffix(meter, "-In-Bytes")
}

// ClassifyBilled says where a billed line goes. record is the line's RECORD_TYPE.
func ClassifyBilled(service, usageType, record string) BilledKind {
	switch record {
	case RecordCredit:
		return BilledKind{Line: LineCredits}
	case RecordRefund:
		return BilledKind{Line: LineRefunds}
	}
	meter := MeterOf(usageType)
	switch {
	case service == "EC2 - Other":
		return ec2OtherKind(meter)
	case service == "Amazon Lightsail" && strings.Contains(usageType, "Overage"):
		return BilledKind{Service: "lightsail", Overage: true}
	case service == "Tax":
		return BilledKind{Line: LineTax}
	case strings.HasPrefix(service, "AWS Support"):
		return BilledKind{Line: LineSupport}
	case transferSplit[service] && isTransfer(meter):
		return BilledKind{Line: LineDataTransfer}
	}
	if key, ok := ceServices[service]; ok {
		return BilledKind{Service: key}
	}
	name := strings.TrimSpace(service)
	if name == "" {
		name = "(no service)"
	}
	return BilledKind{Line: name}
}

// ec2OtherKind splits "EC2 - Other" by meter: EBS volumes, snapshots, NAT gateways,
// public IPv4 and Elastic IPs, data transfer; anything else stays "EC2 - Other".
func ec2OtherKind(meter string) BilledKind {
	switch {
	case strings.HasPrefix(meter, "EBS:Snapshot") || strings.HasPrefix(meter, "EBS:FastSnapshotRestore"):
		return BilledKind{Line: LineSnapshots}
	case strings.HasPrefix(meter, "EBS:"):
		return BilledKind{Service: "ebs"}
	case strings.HasPrefix(meter, "NatGateway-"):
		return BilledKind{Service: "vpc"}
	case strings.HasPrefix(meter, "PublicIPv4:") || strings.HasPrefix(meter, "ElasticIP:"):
		return BilledKind{Service: "vpc"}
	case isTransfer(meter):
		return BilledKind{Line: LineDataTransfer}
	}
	return BilledKind{Line: LineEC2Other}
}
