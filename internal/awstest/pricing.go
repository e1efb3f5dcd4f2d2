package awstest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
)

// PriceItem is one SKU of the fake Pricing API's catalogue: a product with its
// attributes and on-demand price dimensions.
type PriceItem struct {
	ServiceCode string
	Family      string // productFamily; "" for products that have none (AmazonVPC IPv4)
	Attrs       map[string]string
	Unit        string
	Tiers       []PriceTier
	Description string
}

// PriceTier is one price dimension, with prices as AWS writes them ("0.0104000000").
type PriceTier struct{ Begin, End, USD string }

// SKU is a stable identifier derived from the item's attributes.
func (it PriceItem) SKU() string {
	keys := make([]string, 0, len(it.Attrs))
	for k := range it.Attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := uint64(14695981039346656037)
	for _, s := range append([]string{it.ServiceCode, it.Family}, keys...) {
		for _, b := range []byte(s + "=" + it.Attrs[s] + ";") {
			h = (h ^ uint64(b)) * 1099511628211
		}
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	sku := make([]byte, 16)
	for i := range sku {
		sku[i] = alphabet[h%32]
		h = h/32 ^ uint64(i)*0x9E3779B97F4A7C15
	}
	return string(sku)
}

// Document renders the item as a PriceList entry in the real shape: product with sku,
// productFamily and attributes; terms.OnDemand with priceDimensions carrying unit,
// beginRange, endRange and pricePerUnit.USD.
func (it PriceItem) Document() string {
	sku := it.SKU()
	attrs := map[string]string{"servicecode": it.ServiceCode}
	for k, v := range it.Attrs {
		attrs[k] = v
	}
	dims := map[string]any{}
	for i, t := range it.Tiers {
		code := fmt.Sprintf("%s.JRTCKXETXF.%d", sku, 6000+i)
		dims[code] = map[string]any{
			"unit": it.Unit, "beginRange": t.Begin, "endRange": t.End, "description": it.Description,
			"appliesTo": []string{}, "rateCode": code, "pricePerUnit": map[string]string{"USD": t.USD},
		}
	}
	product := map[string]any{"sku": sku, "attributes": attrs}
	if it.Family != "" {
		product["productFamily"] = it.Family
	}
	doc := map[string]any{
		"product":     product,
		"serviceCode": it.ServiceCode,
		"terms": map[string]any{"OnDemand": map[string]any{
			sku + ".JRTCKXETXF": map[string]any{
				"priceDimensions": dims, "sku": sku, "effectiveDate": "2025-01-01T00:00:00Z",
				"offerTermCode": "JRTCKXETXF", "termAttributes": map[string]string{},
			},
		}},
		"version":         "20250101000000",
		"publicationDate": "2025-01-01T00:00:00Z",
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// matches applies TERM_MATCH filters: every filter must equal the service code,
// the productFamily or an attribute.
func (it PriceItem) matches(serviceCode string, filters []pricingFilter) bool {
	if !strings.EqualFold(it.ServiceCode, serviceCode) {
		return false
	}
	for _, f := range filters {
		var got string
		var ok bool
		switch strings.ToLower(f.Field) {
		case "servicecode":
			got, ok = it.ServiceCode, true
		case "productfamily":
			got, ok = it.Family, it.Family != ""
		default:
			got, ok = it.Attrs[f.Field]
		}
		if !ok || !strings.EqualFold(got, f.Value) {
			return false
		}
	}
	return true
}

type pricingFilter struct {
	Type  string `json:"Type"`
	Field string `json:"Field"`
	Value string `json:"Value"`
}

// GetProductsRequest is a request the server received.
type GetProductsRequest struct {
	ServiceCode string          `json:"ServiceCode"`
	Filters     []pricingFilter `json:"Filters"`
	MaxResults  int             `json:"MaxResults"`
	NextToken   string          `json:"NextToken"`
}

// Filter returns the value of the named filter and whether it was sent.
func (r GetProductsRequest) Filter(field string) (string, bool) {
	for _, f := range r.Filters {
		if f.Field == field {
			return f.Value, true
		}
	}
	return "", false
}

// PricingServer is an in-process AWS Price List API (awsJson1_1,
// X-Amz-Target: AWSPriceListService.<Op>) serving a catalogue, so the real SDK client
// is exercised. It pages, counts calls and can be told to fail.
type PricingServer struct {
	URL string

	mu        sync.Mutex
	catalogue []PriceItem
	pageSize  int
	calls     map[string]int
	requests  []GetProductsRequest
	failLeft  int
	failAll   bool
	failCode  string
}

// NewPricingServer starts a server with the catalogue; it stops with the test.
func NewPricingServer(t testing.TB, catalogue []PriceItem) *PricingServer {
	t.Helper()
	s := &PricingServer{catalogue: slices.Clone(catalogue), calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Config is an SDK configuration for us-east-1 whose clients talk to this server.
func (s *PricingServer) Config() awssdk.Config { return Config(s.URL, "us-east-1") }

// SetPageSize caps the products per page below the request's MaxResults, so tests read
// several pages.
func (s *PricingServer) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// FailNext makes the next n requests fail with code: "ThrottlingException" (HTTP 400)
// or anything else (HTTP 500, e.g. "InternalErrorException").
func (s *PricingServer) FailNext(n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failCode = n, code
}

// FailAlways makes every request fail with code until called with "".
func (s *PricingServer) FailAlways(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll, s.failCode = code != "", code
}

// Calls is the number of requests received for an operation ("GetProducts"), including
// failed ones.
func (s *PricingServer) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Requests are the GetProducts requests answered or refused, in order.
func (s *PricingServer) Requests() []GetProductsRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *PricingServer) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AWSPriceListService.")
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || !ok {
		writeAWSError(w, http.StatusBadRequest, "UnknownOperationException", "unknown target "+target)
		return
	}
	s.mu.Lock()
	s.calls[op]++
	var req GetProductsRequest
	_ = json.Unmarshal(body, &req)
	if op == "GetProducts" {
		s.requests = append(s.requests, req)
	}
	fail := s.failAll || s.failLeft > 0
	if s.failLeft > 0 {
		s.failLeft--
	}
	code := s.failCode
	catalogue, pageSize := s.catalogue, s.pageSize
	s.mu.Unlock()

	if fail {
		status := http.StatusInternalServerError
		if code == "ThrottlingException" {
			status = http.StatusBadRequest
		}
		writeAWSError(w, status, code, "injected failure")
		return
	}
	switch op {
	case "GetProducts":
		s.getProducts(w, req, catalogue, pageSize)
	case "DescribeServices":
		var codes []string
		for _, it := range catalogue {
			if !slices.Contains(codes, it.ServiceCode) {
				codes = append(codes, it.ServiceCode)
			}
		}
		slices.Sort(codes)
		var services []map[string]any
		for _, c := range codes {
			services = append(services, map[string]any{"ServiceCode": c})
		}
		writeJSON(w, map[string]any{"Services": services, "FormatVersion": "aws_v1"})
	default:
		writeAWSError(w, http.StatusBadRequest, "UnknownOperationException", "unsupported operation "+op)
	}
}

func (s *PricingServer) getProducts(w http.ResponseWriter, req GetProductsRequest, catalogue []PriceItem, pageSize int) {
	if req.ServiceCode == "" {
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", "ServiceCode is required")
		return
	}
	for _, f := range req.Filters {
		if f.Type != "TERM_MATCH" {
			writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", "unsupported filter type "+f.Type)
			return
		}
	}
	var docs []string
	for _, it := range catalogue {
		if it.matches(req.ServiceCode, req.Filters) {
			docs = append(docs, it.Document())
		}
	}
	start := 0
	if req.NextToken != "" {
		raw, err := base64.StdEncoding.DecodeString(req.NextToken)
		n, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || n < 0 || n > len(docs) {
			writeAWSError(w, http.StatusBadRequest, "InvalidNextTokenException", "bad NextToken")
			return
		}
		start = n
	}
	size := req.MaxResults
	if size <= 0 || size > 100 {
		size = 100
	}
	if pageSize > 0 && pageSize < size {
		size = pageSize
	}
	end := min(start+size, len(docs))
	out := map[string]any{"FormatVersion": "aws_v1", "PriceList": append([]string{}, docs[start:end]...)}
	if end < len(docs) {
		out["NextToken"] = base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func writeAWSError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// pricingRegions are the region attributes of the catalogue: the location name (which
// costbot must never filter on) and the usage type prefix (none for most us-east-1 EC2
// usage types).
var pricingRegions = map[string]struct{ location, prefix string }{
	"us-east-1":      {"US East (N. Virginia)", "USE1"},
	"us-west-2":      {"US West (Oregon)", "USW2"},
	"eu-west-1":      {"EU (Ireland)", "EU"},
	"ap-northeast-1": {"Asia Pacific (Tokyo)", "APN1"},
	"ap-southeast-1": {"Asia Pacific (Singapore)", "APS1"},
	"ap-east-1":      {"Asia Pacific (Hong Kong)", "APE1"},
}

func regionAttrs(region string, attrs map[string]string) map[string]string {
	out := map[string]string{"regionCode": region, "location": pricingRegions[region].location, "locationType": "AWS Region"}
	for k, v := range attrs {
		out[k] = v
	}
	return out
}

// ec2UsageType is an EC2 usage type: unprefixed in us-east-1 ("BoxUsage:t3.micro"),
// prefixed elsewhere ("APN1-BoxUsage:m5.large").
func ec2UsageType(region, base string) string {
	if region == "us-east-1" {
		return base
	}
	return pricingRegions[region].prefix + "-" + base
}

func prefixed(region, base string) string { return pricingRegions[region].prefix + "-" + base }

func flat(usd string) []PriceTier { return []PriceTier{{Begin: "0", End: "Inf", USD: usd}} }

// tiers builds tiers from boundaries and prices: tiers([]string{"51200","512000"}, a, b, c).
func tiers(bounds []string, usd ...string) []PriceTier {
	var out []PriceTier
	begin := "0"
	for i, p := range usd {
		end := "Inf"
		if i < len(bounds) {
			end = bounds[i]
		}
		out = append(out, PriceTier{Begin: begin, End: end, USD: p})
		begin = end
	}
	return out
}

// EC2Item is a Linux (or other OS) on-demand instance SKU with shared tenancy.
func EC2Item(region, instanceType, os, licenseModel, capacityStatus, usd string) PriceItem {
	op := map[string]string{"Linux": "RunInstances", "Windows": "RunInstances:0002", "RHEL": "RunInstances:0010", "SUSE": "RunInstances:000g"}[os]
	return PriceItem{
		ServiceCode: "AmazonEC2", Family: "Compute Instance", Unit: "Hrs", Tiers: flat(usd),
		Attrs: regionAttrs(region, map[string]string{
			"instanceType": instanceType, "operatingSystem": os, "tenancy": "Shared", "preInstalledSw": "NA",
			"capacitystatus": capacityStatus, "licenseModel": licenseModel, "operation": op,
			"usagetype": ec2UsageType(region, "BoxUsage:"+instanceType),
		}),
		Description: fmt.Sprintf("$%s per On Demand %s %s Instance Hour", usd, os, instanceType),
	}
}

// DefaultPricingCatalogue is a catalogue of real public on-demand list prices (USD) for
// the resources costbot's tests price, in the real shapes: region-prefixed usage types,
// AmazonVPC products without productFamily, tiered S3/Lambda/CloudFront/CloudWatch
// dimensions, gp3 throughput per GiBps-month, and decoys (reservation SKUs, other
// operating systems, VPC endpoints) that wrong filters would pick up.
func DefaultPricingCatalogue() []PriceItem {
	var c []PriceItem
	add := func(items ...PriceItem) { c = append(c, items...) }

	// EC2: Linux on-demand, plus a Windows SKU and reservation SKUs as decoys.
	for _, e := range []struct{ region, itype, usd string }{
		{"us-east-1", "t3.micro", "0.0104000000"}, {"us-east-1", "t3.small", "0.0208000000"},
		{"us-east-1", "m5.large", "0.0960000000"}, {"us-east-1", "c5.xlarge", "0.1700000000"},
		{"ap-northeast-1", "t3.micro", "0.0136000000"}, {"ap-northeast-1", "m5.large", "0.1240000000"},
	} {
		add(EC2Item(e.region, e.itype, "Linux", "No License required", "Used", e.usd),
			EC2Item(e.region, e.itype, "Linux", "No License required", "UnusedCapacityReservation", e.usd),
			EC2Item(e.region, e.itype, "Linux", "No License required", "AllocatedCapacityReservation", "0.0000000000"))
	}
	add(EC2Item("us-east-1", "t3.micro", "Windows", "No License required", "Used", "0.0196000000"),
		EC2Item("us-east-1", "t3.micro", "Windows", "Bring your own license", "Used", "0.0104000000"))

	// EBS (us-east-1): storage per GB-month, IOPS and throughput extras.
	ebs := func(region, family, api, usage, unit string, t []PriceTier) PriceItem {
		return PriceItem{ServiceCode: "AmazonEC2", Family: family, Unit: unit, Tiers: t,
			Attrs: regionAttrs(region, map[string]string{"volumeApiName": api, "usagetype": ec2UsageType(region, usage)})}
	}
	for _, v := range []struct{ api, usage, unit, usd string }{
		{"gp3", "EBS:VolumeUsage.gp3", "GB-Mo", "0.0800000000"}, {"gp2", "EBS:VolumeUsage.gp2", "GB-Mo", "0.1000000000"},
		{"io1", "EBS:VolumeUsage.piops", "GB-Mo", "0.1250000000"}, {"io2", "EBS:VolumeUsage.io2", "GB-month", "0.1250000000"},
		{"st1", "EBS:VolumeUsage.st1", "GB-Mo", "0.0450000000"}, {"sc1", "EBS:VolumeUsage.sc1", "GB-Mo", "0.0150000000"},
		{"standard", "EBS:VolumeUsage", "GB-Mo", "0.0500000000"},
	} {
		add(ebs("us-east-1", "Storage", v.api, v.usage, v.unit, flat(v.usd)))
	}
	add(ebs("us-east-1", "System Operation", "gp3", "EBS:VolumeP-IOPS.gp3", "IOPS-Mo", flat("0.0050000000")),
		ebs("us-east-1", "Provisioned Throughput", "gp3", "EBS:VolumeP-Throughput.gp3", "GiBps-mo", flat("40.9600000000")),
		ebs("us-east-1", "System Operation", "io1", "EBS:VolumeP-IOPS.piops", "IOPS-Mo", flat("0.0650000000")),
		ebs("us-east-1", "System Operation", "io2", "EBS:VolumeP-IOPS.io2", "IOPS-Mo", flat("0.0650000000")),
		ebs("us-east-1", "System Operation", "io2", "EBS:VolumeP-IOPS.io2.tier2", "IOPS-Mo", flat("0.0455000000")),
		ebs("us-east-1", "System Operation", "io2", "EBS:VolumeP-IOPS.io2.tier3", "IOPS-Mo", flat("0.0318500000")),
		// The recorded Singapore io1 answer (fixtures/aws/pricing-getproducts-ebs-io1-ap-southeast-1.json).
		ebs("ap-southeast-1", "Storage", "io1", "EBS:VolumeUsage.piops", "GB-Mo", flat("0.1380000000")))

	// NAT gateways: hours and GB processed, same price per unit.
	for _, n := range []struct{ region, usd string }{{"us-east-1", "0.0450000000"}, {"ap-northeast-1", "0.0620000000"}} {
		for _, u := range []struct{ usage, unit string }{{"NatGateway-Hours", "Hrs"}, {"NatGateway-Bytes", "GB"}} {
			add(PriceItem{ServiceCode: "AmazonEC2", Family: "NAT Gateway", Unit: u.unit, Tiers: flat(n.usd),
				Attrs: regionAttrs(n.region, map[string]string{"usagetype": ec2UsageType(n.region, u.usage), "operation": "NatGateway", "group": "NGW:NatGateway"})})
		}
	}

	// Public IPv4 (AmazonVPC, no productFamily), and a VPC endpoint decoy.
	for _, region := range []string{"us-east-1", "ap-northeast-1"} {
		for _, u := range []string{"PublicIPv4:InUseAddress", "PublicIPv4:IdleAddress"} {
			add(PriceItem{ServiceCode: "AmazonVPC", Unit: "Hrs", Tiers: flat("0.0050000000"),
				Attrs: regionAttrs(region, map[string]string{"usagetype": prefixed(region, u), "group": "VPCPublicIPv4Address"})})
		}
		add(PriceItem{ServiceCode: "AmazonVPC", Family: "VpcEndpoint", Unit: "Hrs", Tiers: flat("0.0100000000"),
			Attrs: regionAttrs(region, map[string]string{"usagetype": prefixed(region, "VpcEndpoint-Hours")})})
	}

	// RDS (us-east-1): MySQL and PostgreSQL db.t3.micro, Single-AZ and Multi-AZ, storage.
	rds := func(engine, deployment, usage, usd string) PriceItem {
		return PriceItem{ServiceCode: "AmazonRDS", Family: "Database Instance", Unit: "Hrs", Tiers: flat(usd),
			Attrs: regionAttrs("us-east-1", map[string]string{"instanceType": "db.t3.micro", "databaseEngine": engine,
				"deploymentOption": deployment, "licenseModel": "No license required", "usagetype": usage})}
	}
	add(rds("MySQL", "Single-AZ", "InstanceUsage:db.t3.micro", "0.0170000000"),
		rds("MySQL", "Multi-AZ", "Multi-AZUsage:db.t3.micro", "0.0340000000"),
		rds("PostgreSQL", "Single-AZ", "InstanceUsage:db.t3.micro", "0.0180000000"),
		rds("PostgreSQL", "Multi-AZ", "Multi-AZUsage:db.t3.micro", "0.0360000000"))
	for _, s := range []struct{ volume, deployment, usage, usd string }{
		{"General Purpose", "Single-AZ", "RDS:GP2-Storage", "0.1150000000"},
		{"General Purpose", "Multi-AZ", "RDS:Multi-AZ-GP2-Storage", "0.2300000000"},
		{"General Purpose-GP3", "Single-AZ", "RDS:GP3-Storage", "0.1150000000"},
		{"General Purpose-GP3", "Multi-AZ", "RDS:Multi-AZ-GP3-Storage", "0.2300000000"},
	} {
		add(PriceItem{ServiceCode: "AmazonRDS", Family: "Database Storage", Unit: "GB-Mo", Tiers: flat(s.usd),
			Attrs: regionAttrs("us-east-1", map[string]string{"volumeType": s.volume, "deploymentOption": s.deployment,
				"databaseEngine": "Any", "usagetype": s.usage})})
	}

	// Lambda (us-east-1): requests and tiered duration, x86 and Arm.
	lambda := func(group, usage, unit string, t []PriceTier) PriceItem {
		return PriceItem{ServiceCode: "AWSLambda", Family: "Serverless", Unit: unit, Tiers: t,
			Attrs: regionAttrs("us-east-1", map[string]string{"group": group, "usagetype": prefixed("us-east-1", usage)})}
	}
	add(lambda("AWS-Lambda-Requests", "Request", "Requests", flat("0.0000002000")),
		lambda("AWS-Lambda-Requests-ARM", "Request-ARM", "Requests", flat("0.0000002000")),
		lambda("AWS-Lambda-Duration", "Lambda-GB-Second", "Lambda-GB-Second",
			tiers([]string{"6000000000", "15000000000"}, "0.0000166667", "0.0000150000", "0.0000133334")),
		lambda("AWS-Lambda-Duration-ARM", "Lambda-GB-Second-ARM", "Lambda-GB-Second",
			tiers([]string{"7500000000", "18750000000"}, "0.0000133334", "0.0000120001", "0.0000106667")))

	// S3 (us-east-1): Standard's three tiers and Standard-IA.
	add(PriceItem{ServiceCode: "AmazonS3", Family: "Storage", Unit: "GB-Mo",
		Tiers: tiers([]string{"51200", "512000"}, "0.0230000000", "0.0220000000", "0.0210000000"),
		Attrs: regionAttrs("us-east-1", map[string]string{"volumeType": "Standard", "storageClass": "General Purpose", "usagetype": "TimedStorage-ByteHrs"})},
		PriceItem{ServiceCode: "AmazonS3", Family: "Storage", Unit: "GB-Mo", Tiers: flat("0.0125000000"),
			Attrs: regionAttrs("us-east-1", map[string]string{"volumeType": "Standard - Infrequent Access", "storageClass": "Infrequent Access", "usagetype": "TimedStorage-SIA-ByteHrs"})})

	// CloudFront (global): US data out tiers and HTTPS requests.
	add(PriceItem{ServiceCode: "AmazonCloudFront", Family: "Data Transfer", Unit: "GB",
		Tiers: tiers([]string{"10240", "51200", "153600", "512000", "1048576", "5242880"},
			"0.0850000000", "0.0800000000", "0.0600000000", "0.0400000000", "0.0300000000", "0.0250000000", "0.0200000000"),
		Attrs: map[string]string{"usagetype": "US-DataTransfer-Out-Bytes", "transferType": "CloudFront Outbound", "fromLocation": "United States", "locationType": "AWS Edge Location"}},
		PriceItem{ServiceCode: "AmazonCloudFront", Family: "Request", Unit: "Requests", Tiers: flat("0.0000010000"),
			Attrs: map[string]string{"usagetype": "US-Requests-Tier2-HTTPS", "requestType": "CloudFront-Request-HTTPS-Proxy", "location": "United States"}})

	// CloudWatch (us-east-1).
	cw := func(family, usage, unit string, t []PriceTier) PriceItem {
		return PriceItem{ServiceCode: "AmazonCloudWatch", Family: family, Unit: unit, Tiers: t,
			Attrs: regionAttrs("us-east-1", map[string]string{"usagetype": usage})}
	}
	add(cw("Metric", "CW:MetricMonitorUsage", "Metrics",
		tiers([]string{"10000", "250000", "1000000"}, "0.3000000000", "0.1000000000", "0.0500000000", "0.0200000000")),
		cw("Alarm", "CW:AlarmMonitorUsage", "Alarms", flat("0.1000000000")),
		cw("Alarm", "CW:HighResAlarmMonitorUsage", "Alarms", flat("0.3000000000")),
		cw("Data Payload", "USE1-DataProcessing-Bytes", "GB", flat("0.5000000000")),
		cw("Storage Snapshot", "USE1-TimedStorage-ByteHrs", "GB-Mo", flat("0.0300000000")))

	// WAF (us-east-1).
	for _, w := range []struct{ usage, unit, usd string }{
		{"WebACLV2", "WebACL-Mo", "5.0000000000"}, {"RuleV2", "Rule-Mo", "1.0000000000"}, {"RequestV2-Tier1", "Requests", "0.0000006000"},
	} {
		add(PriceItem{ServiceCode: "awswaf", Family: "Web Application Firewall", Unit: w.unit, Tiers: flat(w.usd),
			Attrs: regionAttrs("us-east-1", map[string]string{"usagetype": prefixed("us-east-1", w.usage)})})
	}

	// FSx for Windows File Server (us-east-1), SSD Single-AZ.
	add(PriceItem{ServiceCode: "AmazonFSx", Family: "Storage", Unit: "GB-Mo", Tiers: flat("0.1300000000"),
		Attrs: regionAttrs("us-east-1", map[string]string{"fileSystemType": "Windows", "storageType": "SSD", "deploymentOption": "Single-AZ", "usagetype": prefixed("us-east-1", "StorageUsage:SSD:SingleAZ")})},
		PriceItem{ServiceCode: "AmazonFSx", Family: "Provisioned Throughput", Unit: "MBps-Mo", Tiers: flat("2.2000000000"),
			Attrs: regionAttrs("us-east-1", map[string]string{"fileSystemType": "Windows", "deploymentOption": "Single-AZ", "usagetype": prefixed("us-east-1", "ThroughputCapacity:SingleAZ")})})
	return append(c, chargesCatalogue()...)
}
