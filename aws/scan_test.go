package aws

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"costbot/internal/awstest"
	"costbot/models"
)

// myServices are the collectors this file's scans run.
var myServices = []string{"ec2", "ebs", "vpc", "rds", "lambda", "s3"}

// awsFault is an error as one AWS service would answer it.
type awsFault struct {
	status int
	code   string
	msg    string
}

// faultyAWS is a reverse proxy in front of moto that reads each request's region and
// service from its SigV4 credential scope and answers, in that service's wire protocol:
// every request in the denied region with access denied, every request in the
// not-enabled region as AWS answers a region the account has not opted in to, and the
// first `throttles` requests to each service in the throttled region with throttling.
type faultyAWS struct {
	proxy      *httputil.ReverseProxy
	denied     string
	notEnabled string
	throttled  string
	throttles  int

	mu       sync.Mutex
	injected map[string]int // region/service/code -> responses injected
}

func newFaultyAWS(t *testing.T, target string) *faultyAWS {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	return &faultyAWS{proxy: httputil.NewSingleHostReverseProxy(u), injected: map[string]int{}}
}

// credentialScope reads region and service from "AWS4-HMAC-SHA256
// Credential=AKID/20250101/eu-west-1/ec2/aws4_request, SignedHeaders=..., Signature=...".
func credentialScope(authorization string) (region, service string) {
	_, cred, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return "", ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return "", ""
	}
	return parts[2], parts[3]
}

func (f *faultyAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	region, service := credentialScope(r.Header.Get("Authorization"))
	if fault, ok := f.fault(region, service); ok {
		writeFault(w, service, fault)
		return
	}
	f.proxy.ServeHTTP(w, r)
}

func (f *faultyAWS) fault(region, service string) (awsFault, bool) {
	if service == "sts" || service == "" {
		return awsFault{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var fault awsFault
	switch {
	case region == f.denied:
		fault = deniedFault(service)
	case region == f.notEnabled:
		fault = notEnabledFault(service)
	case region == f.throttled && f.injected[region+"/"+service+"/"+throttleFault(service).code] < f.throttles:
		fault = throttleFault(service)
	default:
		return awsFault{}, false
	}
	f.injected[region+"/"+service+"/"+fault.code]++
	return fault, true
}

// count returns how many faults with code were injected for service in region.
func (f *faultyAWS) count(region, service, code string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected[region+"/"+service+"/"+code]
}

const deniedMessage = "User: arn:aws:iam::123456789012:user/costbot is not authorized to perform this operation"

func deniedFault(service string) awsFault {
	switch service {
	case "ec2":
		return awsFault{http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation. " + deniedMessage}
	case "lambda":
		return awsFault{http.StatusForbidden, "AccessDeniedException", deniedMessage}
	default:
		return awsFault{http.StatusForbidden, "AccessDenied", deniedMessage}
	}
}

func notEnabledFault(service string) awsFault {
	switch service {
	case "ec2":
		return awsFault{http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials"}
	case "lambda":
		return awsFault{http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid."}
	case "s3":
		return awsFault{http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."}
	default:
		return awsFault{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."}
	}
}

func throttleFault(service string) awsFault {
	switch service {
	case "ec2":
		return awsFault{http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded."}
	case "lambda":
		return awsFault{http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded"}
	case "s3":
		return awsFault{http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."}
	default:
		return awsFault{http.StatusBadRequest, "Throttling", "Rate exceeded"}
	}
}

// writeFault answers in the protocol of service: EC2 query XML, AWS query XML (RDS),
// restJson1 (Lambda), awsJson1_0 (CloudWatch, as newCloudWatch speaks it), REST XML (S3).
func writeFault(w http.ResponseWriter, service string, f awsFault) {
	const requestID = "4c9d7a1e-0000-4000-8000-costbot"
	h := w.Header()
	var body string
	switch service {
	case "ec2":
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
			f.code, f.msg, requestID)
	case "lambda":
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-ErrorType", f.code)
		h.Set("X-Amzn-RequestId", requestID)
		body = fmt.Sprintf(`{"Type":"User","message":%q}`, f.msg)
	case "monitoring":
		h.Set("Content-Type", "application/x-amz-json-1.0")
		h.Set("X-Amzn-Query-Error", f.code+";Sender")
		h.Set("X-Amzn-RequestId", requestID)
		body = fmt.Sprintf(`{"__type":"com.amazonaws.cloudwatch#%s","message":%q}`, f.code, f.msg)
	case "s3":
		h.Set("Content-Type", "application/xml")
		body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`, f.code, f.msg, requestID)
	default: // awsQuery: rds
		h.Set("Content-Type", "text/xml")
		body = fmt.Sprintf(`<ErrorResponse xmlns="http://%s.amazonaws.com/doc/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			service, f.code, f.msg, requestID)
	}
	w.WriteHeader(f.status)
	fmt.Fprint(w, body)
}

// seedAccount creates in region, directly in moto, one of each kind of resource the
// regional collectors list, and a bucket when withBucket, and returns their keys
// ("service/region/id").
func seedAccount(t *testing.T, ctx context.Context, m *awstest.Moto, region, role string, code []byte, withBucket bool) []string {
	t.Helper()
	cfg := m.Config(region)
	api := ec2.NewFromConfig(cfg)
	key := func(service, id string) string { return service + "/" + region + "/" + id }
	var keys []string

	inst := runInstance(t, ctx, api, ec2types.InstanceTypeT3Micro, "app-"+region, nil)
	keys = append(keys, key("ec2", *inst.InstanceId), key("vpc", *inst.PublicIpAddress))
	vol := createVolume(t, ctx, api, &ec2.CreateVolumeInput{AvailabilityZone: inst.Placement.AvailabilityZone,
		Size: awssdk.Int32(30), VolumeType: ec2types.VolumeTypeGp3}, "spare-"+region)
	keys = append(keys, key("ebs", *vol.VolumeId))
	eip := allocateAddress(t, ctx, api)
	nat, _, _, natEIP := natGateway(t, ctx, api, "10.9", region+"a", "nat-"+region)
	keys = append(keys, key("vpc", *eip.AllocationId), key("vpc", nat), key("vpc", natEIP))

	db := "db-" + region
	if _, err := rds.NewFromConfig(cfg).CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: awssdk.String(db), DBInstanceClass: awssdk.String("db.t3.micro"), Engine: awssdk.String("mysql"),
		AllocatedStorage: awssdk.Int32(20), MasterUsername: awssdk.String("admin"), MasterUserPassword: awssdk.String("correct-horse-battery"),
	}); err != nil {
		t.Fatal(err)
	}
	keys = append(keys, key("rds", db))

	fn := "fn-" + region
	if _, err := lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: awssdk.String(fn),
		Role: awssdk.String(role), Runtime: lambdatypes.RuntimePython312, Handler: awssdk.String("handler.handler"),
		Code: &lambdatypes.FunctionCode{ZipFile: code}}); err != nil {
		t.Fatal(err)
	}
	keys = append(keys, key("lambda", fn))
	if !withBucket {
		return keys
	}

	bucket := "costbot-scan-" + region
	in := &s3.CreateBucketInput{Bucket: awssdk.String(bucket)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	if _, err := s3.NewFromConfig(cfg).CreateBucket(ctx, in); err != nil {
		t.Fatal(err)
	}
	return append(keys, key("s3", bucket))
}

// resourceKeys returns "service/region/id" of every resource in regions.
func resourceKeys(rs []models.Resource, regions ...string) []string {
	var keys []string
	for _, r := range rs {
		if slices.Contains(regions, r.Region) {
			keys = append(keys, r.Service+"/"+r.Region+"/"+r.ID)
		}
	}
	slices.Sort(keys)
	return keys
}

func TestScanThroughFaults(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	account, err := AccountID(ctx, m.Config("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	role, code := lambdaRole(t, ctx, m, account), lambdaZip(t)
	const (
		healthy    = "us-east-1"
		throttled  = "eu-west-1"
		denied     = "us-west-2"
		notEnabled = "ap-east-1"
	)
	// No bucket in the denied region: its size could not be read, and the s3 task, which
	// lists every bucket of the account, would fail as a whole.
	var seeded []string
	for _, region := range []string{healthy, throttled, denied} {
		seeded = append(seeded, seedAccount(t, ctx, m, region, role, code, region != denied)...)
	}
	collectors := Collectors(myServices)
	if len(collectors) != len(myServices) {
		t.Fatalf("registered collectors %v, want %v", Registered(), myServices)
	}

	// What a scan without faults finds: everything seeded in the two good regions.
	clean, err := (&Scanner{Base: m.Config("us-east-1"), Regions: []string{healthy, throttled}, Collectors: collectors, Concurrency: 4}).Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(clean.Errors) > 0 {
		t.Fatalf("clean scan errors: %+v", clean.Errors)
	}
	want := resourceKeys(clean.Resources, healthy, throttled)
	for _, k := range seeded {
		if !strings.Contains(k, "/"+denied+"/") && !slices.Contains(want, k) {
			t.Errorf("clean scan misses seeded %s", k)
		}
	}

	proxy := newFaultyAWS(t, m.URL)
	proxy.denied, proxy.notEnabled, proxy.throttled, proxy.throttles = denied, notEnabled, throttled, 2
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	scanner := &Scanner{
		Base:        awstest.Config(srv.URL, "us-east-1"), // retries quickly
		Regions:     []string{healthy, throttled, denied, notEnabled},
		Collectors:  collectors,
		Concurrency: 4,
		TaskTimeout: time.Minute,
	}
	res, err := scanner.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("throttled region is complete", func(t *testing.T) {
		for _, service := range []string{"ec2", "rds", "lambda", "monitoring"} {
			if n := proxy.count(throttled, service, throttleFault(service).code); n != 2 {
				t.Errorf("%s in %s throttled %d times, want 2 (each retried)", service, throttled, n)
			}
		}
		if got := resourceKeys(res.Resources, healthy, throttled); !slices.Equal(got, want) {
			t.Errorf("resources in %s and %s:\n got %v\nwant %v", healthy, throttled, got, want)
		}
	})
	t.Run("failing regions list nothing", func(t *testing.T) {
		if got := resourceKeys(res.Resources, denied, notEnabled); len(got) > 0 {
			t.Errorf("resources from failing regions: %v", got)
		}
	})
	t.Run("errors", func(t *testing.T) {
		byRegion := map[string][]TaskError{}
		for _, e := range res.Errors {
			byRegion[e.Region] = append(byRegion[e.Region], e)
		}
		if regions := slices.Sorted(maps.Keys(byRegion)); !slices.Equal(regions, []string{notEnabled, denied}) {
			t.Fatalf("errors in regions %v, want only %s and %s: %+v", regions, notEnabled, denied, res.Errors)
		}
		var deniedServices []string
		for _, e := range byRegion[denied] {
			deniedServices = append(deniedServices, e.Service)
			if !strings.Contains(e.Error, "access denied") || !strings.Contains(e.Error, deniedMessage) {
				t.Errorf("%s %s: error %q, want access denied with AWS's message", e.Service, e.Region, e.Error)
			}
		}
		regional := slices.DeleteFunc(slices.Clone(myServices), func(s string) bool { return s == "s3" })
		if slices.Sort(deniedServices); !slices.Equal(deniedServices, slices.Sorted(slices.Values(regional))) {
			t.Errorf("denied services = %v, want each regional one: %v", deniedServices, regional)
		}
		optIn := byRegion[notEnabled]
		if len(optIn) != 1 || optIn[0].Service != "*" || !strings.Contains(optIn[0].Error, "not enabled") || !strings.Contains(optIn[0].Error, notEnabled) {
			t.Errorf("%s errors = %+v, want one saying the region is not enabled", notEnabled, optIn)
		}
		for _, service := range []string{"ec2", "rds", "lambda"} {
			if proxy.count(notEnabled, service, notEnabledFault(service).code) == 0 {
				t.Errorf("%s in %s never asked", service, notEnabled)
			}
		}
	})
	t.Run("account", func(t *testing.T) {
		if res.Account != account {
			t.Errorf("account = %q, want %q", res.Account, account)
		}
		for _, r := range res.Resources {
			if r.AccountID != account {
				t.Errorf("%s has account %q, want %q", r.Key(), r.AccountID, account)
			}
		}
		if len(res.Resources) == 0 {
			t.Error("no resources")
		}
	})
}
