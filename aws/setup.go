package aws

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
)

// SetupCause names a set-up mistake that makes every AWS call fail the same way.
type SetupCause string

// The set-up mistakes costbot tells apart.
const (
	CauseNoCredentials  SetupCause = "no AWS credentials found"
	CauseNoProfile      SetupCause = "the AWS profile does not exist"
	CauseSSOExpired     SetupCause = "the AWS SSO session has expired"
	CauseTokenExpired   SetupCause = "the AWS session token has expired"
	CauseKeysRejected   SetupCause = "AWS rejects the access key"
	CauseRoleNotAssumed SetupCause = "the role cannot be assumed"
)

// fixNoCredentials is what to do when the SDK's chain found no credentials at all.
const fixNoCredentials = "set AWS_PROFILE (a profile in ~/.aws/config), put keys in ~/.aws/credentials, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; on EC2, attach an instance role"

// SetupError is an AWS failure that no retry and no other region can cure, said in one
// line: the cause and what to do. The SDK's error stays in the chain for errors.As.
type SetupError struct {
	Cause  SetupCause
	Detail string // what AWS said, when it helps (the role and the caller of a refused AssumeRole)
	Fix    string
	Err    error
}

func (e *SetupError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s (%s): %s", e.Cause, e.Detail, e.Fix)
	}
	return fmt.Sprintf("%s: %s", e.Cause, e.Fix)
}

func (e *SetupError) Unwrap() error { return e.Err }

// ClassifySetupError reads an SDK error chain for a set-up mistake; nil when err is
// anything else (a denied action, a throttle, a network failure). profile is the
// AWS_PROFILE in effect ("" for the default one), named in the fix.
func ClassifySetupError(err error, profile string) *SetupError {
	if err == nil {
		return nil
	}
	var already *SetupError
	if errors.As(err, &already) {
		return already
	}
	login := "run `aws sso login`"
	if profile != "" {
		login = fmt.Sprintf("run `aws sso login --profile %s`", profile)
	}
	var api smithy.APIError
	var noProfile config.SharedConfigProfileNotExistError
	var ssoToken *ssocreds.InvalidTokenError
	msg := err.Error()
	// The call that failed first: a credentials provider's own call (SSO's
	// GetRoleCredentials, STS's AssumeRole) sits inside the call it was signing.
	op := innermostOperation(err)
	switch {
	case errors.As(err, &noProfile):
		return &SetupError{Cause: CauseNoProfile, Detail: noProfile.Profile, Err: err,
			Fix: "add it to ~/.aws/config (`aws configure --profile " + noProfile.Profile + "` or `aws configure sso`), or correct AWS_PROFILE"}
	case errors.As(err, &ssoToken),
		strings.Contains(msg, "cached SSO token is expired"),
		strings.Contains(msg, "refresh cached SSO token failed"),
		op != nil && op.ServiceID == "SSO" && errors.As(err, &api) && api.ErrorCode() == "UnauthorizedException":
		return &SetupError{Cause: CauseSSOExpired, Err: err, Fix: login + " and try again"}
	case op != nil && op.ServiceID == "STS" && strings.HasPrefix(op.OperationName, "AssumeRole"):
		detail := ""
		if errors.As(err, &api) {
			detail = strings.TrimSpace(api.ErrorMessage())
		}
		return &SetupError{Cause: CauseRoleNotAssumed, Detail: detail, Err: err,
			Fix: "the role's trust policy must allow these credentials to call sts:AssumeRole (with the external ID, when it asks for one), and the caller's own policy must allow sts:AssumeRole on the role"}
	case strings.Contains(msg, "no EC2 IMDS role found"):
		return &SetupError{Cause: CauseNoCredentials, Err: err, Fix: fixNoCredentials}
	case errors.As(err, &api):
		switch api.ErrorCode() {
		case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
			return &SetupError{Cause: CauseTokenExpired, Err: err,
				Fix: "get new temporary credentials (AWS_SESSION_TOKEN), or " + login + " when the profile uses SSO"}
		case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId":
			// Other services answer an opt-in region that is not enabled with the same
			// codes (IsRegionNotEnabled); STS, which every check asks first, does not.
			if op == nil || op.ServiceID != "STS" {
				return nil
			}
			return &SetupError{Cause: CauseKeysRejected, Detail: api.ErrorCode(), Err: err,
				Fix: "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the keys of the profile in ~/.aws/credentials"}
		}
	}
	return nil
}

// Profile is the shared-config profile the SDK reads (AWS_PROFILE, else
// AWS_DEFAULT_PROFILE), "" for the default one.
func Profile() string {
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		return p
	}
	return os.Getenv("AWS_DEFAULT_PROFILE")
}

// innermostOperation is the deepest *smithy.OperationError in err's chain, nil if none.
func innermostOperation(err error) *smithy.OperationError {
	var found *smithy.OperationError
	for err != nil {
		if op, ok := err.(*smithy.OperationError); ok {
			found = op
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			// A joined error: follow its first branch that holds an operation.
			next := error(nil)
			for _, e := range u.Unwrap() {
				if innermostOperation(e) != nil {
					next = e
					break
				}
			}
			err = next
		default:
			err = nil
		}
	}
	return found
}

// CheckCredentials resolves cfg's credentials (local for keys and profiles; one call for
// SSO or an assumed role, which the SDK then caches for every later call), so a scan
// that cannot sign anything stops before it fans out.
func CheckCredentials(ctx context.Context, cfg awssdk.Config, profile string) error {
	if cfg.Credentials == nil {
		return &SetupError{Cause: CauseNoCredentials, Err: errors.New("no credentials provider"), Fix: fixNoCredentials}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if se := ClassifySetupError(err, profile); se != nil {
			return se
		}
		return fmt.Errorf("aws credentials: %w", err)
	}
	return nil
}

// CollapseSetupErrors says each set-up mistake among errs once: the same cause met in
// every region is one error, not one per region. Other errors are kept as they are.
func CollapseSetupErrors(errs []error, profile string) []error {
	var out []error
	said := map[string]bool{}
	for _, err := range errs {
		if err == nil {
			continue
		}
		if se := ClassifySetupError(err, profile); se != nil {
			if said[se.Error()] {
				continue
			}
			said[se.Error()] = true
			out = append(out, se)
			continue
		}
		out = append(out, err)
	}
	return out
}
