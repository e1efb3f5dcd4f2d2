package web

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzValidateInitData: any initData either fails or names a user, and never one whose
// hash was not made with the token: a single changed byte of an accepted payload is
// refused.
func FuzzValidateInitData(f *testing.F) {
	f.Add(goodInitData, 0)
	f.Add("hash=00&auth_date=1741608000&user=%7B%22id%22%3A1%7D", 3)
	f.Add("a=1&a=2&hash=x", 1)
	now := utc("2025-03-10 12:30")
	f.Fuzz(func(t *testing.T, initData string, flip int) {
		u, err := validateInitData(initData, testToken, now)
		if err != nil {
			return
		}
		if u.ID == 0 {
			t.Fatalf("accepted without a user: %q", initData)
		}
		if len(initData) == 0 {
			return
		}
		i := (flip%len(initData) + len(initData)) % len(initData)
		changed := initData[:i] + string(initData[i]^1) + initData[i+1:]
		if _, err := validateInitData(changed, testToken, now); err == nil && !equivalentQuery(initData, changed) {
			t.Fatalf("accepted %q and, with byte %d changed, %q", initData, i, changed)
		}
	})
}

// equivalentQuery: two query strings with the same fields (the hash in any case).
func equivalentQuery(a, b string) bool {
	va, errA := url.ParseQuery(a)
	vb, errB := url.ParseQuery(b)
	if errA != nil || errB != nil {
		return false
	}
	va.Set("hash", strings.ToLower(va.Get("hash")))
	vb.Set("hash", strings.ToLower(vb.Get("hash")))
	return reflect.DeepEqual(va, vb)
}

// FuzzVerifyLogin: a login token is accepted only exactly as signed.
func FuzzVerifyLogin(f *testing.F) {
	key := loginKey(testToken)
	now := time.Unix(1741608000, 0)
	good := signLogin(key, "nonce", now.Add(time.Minute))
	f.Add(good)
	f.Add("nonce.1741608060.")
	f.Add("...")
	f.Fuzz(func(t *testing.T, token string) {
		if nonce, err := verifyLogin(key, token, now); err == nil && (token != good || nonce != "nonce") {
			t.Fatalf("accepted a token not signed as such: %q", token)
		}
	})
}
