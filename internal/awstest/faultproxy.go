package awstest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is an error as one AWS service would answer it.
type Fault struct {
	Status  int
	Code    string
	Message string
}

// FaultProxy is a reverse proxy in front of moto that reads each request's region and
// service from its SigV4 credential scope and answers, in that service's wire protocol:
// every request in the denied region with access denied, every request in the
// not-enabled region as AWS answers a region the account has not opted in to, and the
// first `throttles` requests to each service in the throttled region with throttling.
type FaultProxy struct {
	proxy *httputil.ReverseProxy
	// Denied answers every request in this region with access denied.
	Denied string
	// NotEnabled answers every request in this region as AWS answers an opt-in region
	// the account has not enabled.
	NotEnabled string
	// Throttled answers the first Throttles requests to each service in this region with
	// throttling.
	Throttled string
	Throttles int
	// Latency is added to every request passed through (a far-away AWS).
	Latency time.Duration

	requests atomic.Int64 // every request received, faults included

	mu       sync.Mutex
	injected map[string]int // region/service/code -> responses injected
}

// Requests returns how many requests the proxy has received, faults included.
func (f *FaultProxy) Requests() int64 { return f.requests.Load() }

func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	return &FaultProxy{proxy: httputil.NewSingleHostReverseProxy(u), injected: map[string]int{}}
}

// CredentialScope reads region and service from "AWS4-HMAC-SHA256
// Credential=AKID/20250101/eu-west-1/ec2/aws4_request, SignedHeaders=..., Signature=...".
func CredentialScope(authorization string) (region, service string) {
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

func (f *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	region, service := CredentialScope(r.Header.Get("Authorization"))
	if fault, ok := f.fault(region, service); ok {
		WriteFault(w, service, fault)
		return
	}
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return
		}
	}
	f.proxy.ServeHTTP(w, r)
}

// Start serves the proxy on a loopback port until the test ends and returns its URL.
func (f *FaultProxy) Start(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (f *FaultProxy) fault(region, service string) (Fault, bool) {
	if service == "sts" || service == "" {
		return Fault{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var fault Fault
	switch {
	case region == f.Denied:
		fault = DeniedFault(service)
	case region == f.NotEnabled:
		fault = NotEnabledFault(service)
	case region == f.Throttled && f.injected[region+"/"+service+"/"+ThrottleFault(service).Code] < f.Throttles:
		fault = ThrottleFault(service)
	default:
		return Fault{}, false
	}
	f.injected[region+"/"+service+"/"+fault.Code]++
	return fault, true
}

// Count returns how many faults with code were injected for service in region.
func (f *FaultProxy) Count(region, service, code string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected[region+"/"+service+"/"+code]
}

const DeniedMessage = "User: arn:aws:iam::123456789012:user/costbot is not authorized to perform this operation"

func DeniedFault(service string) Fault {
	switch service {
	case "ec2":
		return Fault{Status: http.StatusForbidden, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation. " + DeniedMessage}
	case "lambda":
		return Fault{Status: http.StatusForbidden, Code: "AccessDeniedException", Message: DeniedMessage}
	default:
		return Fault{Status: http.StatusForbidden, Code: "AccessDenied", Message: DeniedMessage}
	}
}

func NotEnabledFault(service string) Fault {
	switch service {
	case "ec2":
		return Fault{Status: http.StatusUnauthorized, Code: "AuthFailure", Message: "AWS was not able to validate the provided access credentials"}
	case "lambda":
		return Fault{Status: http.StatusForbidden, Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid."}
	case "s3":
		return Fault{Status: http.StatusForbidden, Code: "InvalidAccessKeyId", Message: "The AWS Access Key Id you provided does not exist in our records."}
	default:
		return Fault{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
	}
}

func ThrottleFault(service string) Fault {
	switch service {
	case "ec2":
		return Fault{Status: http.StatusServiceUnavailable, Code: "RequestLimitExceeded", Message: "Request limit exceeded."}
	case "lambda":
		return Fault{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Rate exceeded"}
	case "s3":
		return Fault{Status: http.StatusServiceUnavailable, Code: "SlowDown", Message: "Please reduce your request rate."}
	default:
		return Fault{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"}
	}
}

// WriteFault answers in the protocol of service: EC2 query XML, AWS query XML (RDS),
// restJson1 (Lambda), awsJson1_0 (CloudWatch, as newCloudWatch speaks it), REST XML (S3).
func WriteFault(w http.ResponseWriter, service string, f Fault) {
	const requestID = "4c9d7a1e-0000-4000-8000-costbot"
	h := w.Header()
	var body string
	switch service {
	case "ec2":
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
			f.Code, f.Message, requestID)
	case "lambda":
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-ErrorType", f.Code)
		h.Set("X-Amzn-RequestId", requestID)
		body = fmt.Sprintf(`{"Type":"User","message":%q}`, f.Message)
	case "monitoring":
		h.Set("Content-Type", "application/x-amz-json-1.0")
		h.Set("X-Amzn-Query-Error", f.Code+";Sender")
		h.Set("X-Amzn-RequestId", requestID)
		body = fmt.Sprintf(`{"__type":"com.amazonaws.cloudwatch#%s","message":%q}`, f.Code, f.Message)
	case "s3":
		h.Set("Content-Type", "application/xml")
		body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`, f.Code, f.Message, requestID)
	default: // awsQuery: rds
		h.Set("Content-Type", "text/xml")
		body = fmt.Sprintf(`<ErrorResponse xmlns="http://%s.amazonaws.com/doc/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			service, f.Code, f.Message, requestID)
	}
	w.WriteHeader(f.Status)
	fmt.Fprint(w, body)
}
